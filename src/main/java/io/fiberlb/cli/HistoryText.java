package io.fiberlb.cli;

import static io.fiberlb.cli.Output.line;
import static io.fiberlb.cli.Output.or;
import static io.fiberlb.cli.Output.shortId;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendStatus;
import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.DiffLoadBalancerResponse;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckStatus;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerStatus;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolStatus;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The table layouts of a load balancer's history (split out of {@link Output}, which picks the format): what
 * changed between two points ({@code audit diff}) and the tree as it was at one ({@code audit at}).
 */
final class HistoryText {
  private HistoryText() {}

  static String diff(DiffLoadBalancerResponse d) {
    var sb = new StringBuilder("from version " + d.getFromVersion() + " to version " + d.getToVersion() + "\n");
    if (d.getChangesCount() == 0) sb.append("no changes\n");
    for (Change c : d.getChangesList()) sb.append(change(c)).append('\n');
    return sb.toString();
  }

  /** A rollback or restore: what it did (or, dry run, would do) and as which version, then one line per change. */
  static String rolledBack(String verb, String id, io.fiberlb.api.v1.RollbackLoadBalancerResponse r) {
    var sb = new StringBuilder();
    if (r.getVersion() == r.getFromVersion()) {
      sb.append("load balancer ").append(id).append(" already is as at version ").append(r.getToVersion())
          .append(": nothing to change\n");
      return sb.toString();
    }
    sb.append(r.getDryRun() ? "would be " + verb : verb).append(": load balancer ").append(id)
        .append(", the configuration of version ").append(r.getToVersion()).append(", as version ")
        .append(r.getVersion()).append(" (was ").append(r.getFromVersion()).append(")");
    String vip = r.getLoadBalancer().getLoadBalancer().getVipAddress();
    if (!vip.isEmpty()) sb.append(", VIP ").append(vip);
    sb.append(r.getDryRun() ? "; dry run, nothing written\n" : "\n");
    for (Change c : r.getChangesList()) sb.append(change(c)).append('\n');
    for (var p : r.getDisruption().getPoolsList()) sb.append(DryRunOutput.pool(p)).append('\n');
    for (var c : r.getDisruption().getConnectionsList()) sb.append(DryRunOutput.connections(c)).append('\n');
    return sb.toString();
  }

  /**
   * {@code + listener 1234abcd "http"} (added), {@code - backend 5678abcd 10.0.0.5:8080} (removed),
   * {@code ~ listener 1234abcd protocol_port: 80 -> 8080} (changed; before and after as JSON values).
   */
  static String change(Change c) {
    String what = or(c.getResourceKind()) + " " + shortId(c.getResourceId());
    return switch (c.getType()) {
      case ADDED -> "+ " + what + describe(c.getAfter());
      case REMOVED -> "- " + what + describe(c.getBefore());
      case CHANGED -> "~ " + what + " " + or(c.getField()) + ": " + jsonValue(c.getBefore()) + " -> "
          + jsonValue(c.getAfter());
      default -> "? " + what + (c.getField().isEmpty() ? "" : " " + c.getField());
    };
  }

  /** {@code  "name"} and, for a backend, {@code  address:port}, from a resource as JSON; empty if it has neither. */
  private static String describe(String resourceJson) {
    Struct r;
    try {
      var b = Struct.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(resourceJson, b);
      r = b.build();
    } catch (InvalidProtocolBufferException | RuntimeException notAnObject) {
      return "";
    }
    var sb = new StringBuilder();
    String name = text(r, "name");
    if (!name.isEmpty()) sb.append(" \"").append(name).append('"');
    String address = text(r, "address");
    if (!address.isEmpty()) {
      sb.append(' ').append(address.contains(":") ? "[" + address + "]" : address);
      String port = text(r, "protocol_port").isEmpty() ? text(r, "protocolPort") : text(r, "protocol_port");
      if (!port.isEmpty()) sb.append(':').append(port);
    }
    return sb.toString();
  }

  private static String text(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    if (v == null) return "";
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case NUMBER_VALUE -> v.getNumberValue() == Math.rint(v.getNumberValue())
          ? String.valueOf((long) v.getNumberValue()) : String.valueOf(v.getNumberValue());
      default -> "";
    };
  }

  /** A JSON value on one line as the server wrote it, whitespace outside strings removed; {@code -} if none. */
  static String jsonValue(String json) {
    var sb = new StringBuilder(json.length());
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char ch = json.charAt(i);
      if (inString) {
        sb.append(ch);
        if (ch == '\\' && i + 1 < json.length()) sb.append(json.charAt(++i));
        else if (ch == '"') inString = false;
      } else if (!Character.isWhitespace(ch)) {
        sb.append(ch);
        if (ch == '"') inString = true;
      }
    }
    return sb.length() == 0 ? "-" : sb.toString();
  }

  static String tree(LoadBalancerSnapshot s) {
    LoadBalancer lb = s.getLoadBalancer();
    var sb = new StringBuilder();
    if (s.getDeleted()) {
      sb.append("deleted: load balancer ").append(lb.getId())
          .append(" was already deleted at this point; shown as it was when it was deleted\n");
    }
    Map<String, HealthCheck> checks = new LinkedHashMap<>();
    s.getHealthChecksList().forEach(h -> checks.put(h.getId(), h));
    Set<String> pools = new HashSet<>();
    Set<String> checksUnderPools = new HashSet<>();
    var status = LoadBalancerStatus.newBuilder().setId(lb.getId()).setName(lb.getName())
        .setVipAddress(lb.getVipAddress()).setVersion(lb.getVersion())
        .setProvisioningStatus(lb.getProvisioningStatus()).setOperatingStatus(lb.getOperatingStatus());
    for (Listener l : s.getListenersList()) {
      status.addListeners(ListenerStatus.newBuilder().setId(l.getId()).setName(l.getName())
          .setProtocolPort(l.getProtocolPort()).setDefaultPoolId(l.getDefaultPoolId())
          .setProvisioningStatus(l.getProvisioningStatus()).setOperatingStatus(l.getOperatingStatus()));
    }
    for (Pool p : s.getPoolsList()) {
      pools.add(p.getId());
      var pool = PoolStatus.newBuilder().setId(p.getId()).setName(p.getName())
          .setProvisioningStatus(p.getProvisioningStatus()).setOperatingStatus(p.getOperatingStatus());
      HealthCheck h = checks.get(p.getHealthCheckId());
      if (h != null) {
        checksUnderPools.add(h.getId());
        pool.setHealthCheck(HealthCheckStatus.newBuilder().setId(h.getId()).setName(h.getName())
            .setType(h.getType()).setProvisioningStatus(h.getProvisioningStatus())
            .setOperatingStatus(h.getOperatingStatus()));
      }
      for (Backend b : s.getBackendsList()) {
        if (b.getPoolId().equals(p.getId())) pool.addBackends(backendStatus(b));
      }
      status.addPools(pool);
    }
    sb.append(Output.tree(status.build()));
    for (HealthCheck h : checks.values()) {
      if (!checksUnderPools.contains(h.getId())) {
        line(sb, 1, "health check", h.getId(), h.getName(), h.getType().name(), h.getProvisioningStatus(),
            h.getOperatingStatus());
      }
    }
    for (Backend b : s.getBackendsList()) {
      if (!pools.contains(b.getPoolId())) {
        line(sb, 1, "backend", b.getId(), b.getName(),
            b.getAddress() + ":" + b.getProtocolPort() + "  pool " + or(b.getPoolId()), b.getProvisioningStatus(),
            b.getOperatingStatus());
      }
    }
    return sb.toString();
  }

  private static BackendStatus backendStatus(Backend b) {
    return BackendStatus.newBuilder().setId(b.getId()).setName(b.getName()).setAddress(b.getAddress())
        .setProtocolPort(b.getProtocolPort()).setProvisioningStatus(b.getProvisioningStatus())
        .setOperatingStatus(b.getOperatingStatus()).build();
  }
}
