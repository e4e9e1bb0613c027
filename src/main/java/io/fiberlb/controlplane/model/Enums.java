package io.fiberlb.controlplane.model;

/**
 * Domain enums. They mirror the wire enums by name but are owned here: events store these names for good,
 * so a rename on the wire never breaks replay of the journal.
 */
public final class Enums {
  private Enums() {}

  public enum Protocol {
    TCP, UDP, HTTP, TERMINATED_HTTPS;

    /** The transport a listener of this protocol binds: its port is unique per transport on a load balancer. */
    public boolean datagram() {
      return this == UDP;
    }
  }

  public enum LbAlgorithm {
    ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT, MAGLEV, RANDOM_TWO_CHOICES
  }

  public enum SessionPersistenceType { NONE, SOURCE_IP }

  public enum HealthCheckType {
    TCP, HTTP, UDP_CONNECT;

    /** Whether this check can probe the backends of a pool of {@code protocol}: UDP_CONNECT for UDP, the rest TCP. */
    public boolean probes(Protocol protocol) {
      return (this == UDP_CONNECT) == (protocol == Protocol.UDP);
    }
  }

  public enum ProvisioningStatus { ACTIVE, PENDING_CREATE, PENDING_UPDATE, PENDING_DELETE, DELETED, ERROR }

  public enum OperatingStatus { ONLINE, OFFLINE, DEGRADED, ERROR, NO_MONITOR, DRAINING }

  /** The four kinds of child resource a load balancer owns. */
  public enum Kind {
    LISTENER("listener", "Listener"), POOL("pool", "Pool"), BACKEND("backend", "Backend"),
    HEALTH_CHECK("health_check", "HealthCheck");

    /** The name used in error messages and on the wire ({@code listener.protocol_port}). */
    public final String field;
    /** The name in commands and event types: {@code CreateHealthCheck}, {@code HealthCheckUpdated}. */
    public final String typeName;

    Kind(String field, String typeName) {
      this.field = field;
      this.typeName = typeName;
    }

    /** "health check" rather than "health_check", for sentences. */
    public String noun() {
      return field.replace('_', ' ');
    }
  }
}
