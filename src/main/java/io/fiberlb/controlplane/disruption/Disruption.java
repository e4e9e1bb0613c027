package io.fiberlb.controlplane.disruption;

import io.fiberlb.CborSerializable;
import java.util.List;

/**
 * How much traffic a change would move, worked out before it is made: per pool whose choice of backend changes,
 * which share of new flows or connections goes elsewhere; and which open connections the change would drain or cut.
 *
 * @param pools the pools whose eligible backends or algorithm change, in creation order
 * @param connections the listeners and backends whose open connections the change affects
 * @param liveCounts whether {@code connections} carry the data plane's live counts; false when the node that answers
 *     runs no data plane for this load balancer (then every count is -1: not known)
 */
public record Disruption(List<PoolShift> pools, List<OpenConnections> connections, boolean liveCounts)
    implements CborSerializable {

  public Disruption {
    pools = List.copyOf(pools);
    connections = List.copyOf(connections);
  }

  public static final Disruption NONE = new Disruption(List.of(), List.of(), false);

  /** How the numbers of a pool were found. */
  public enum Basis {
    /** MAGLEV before and after: the two 65537-entry tables the data plane builds, compared entry by entry (exact). */
    TABLE,
    /** A hashing algorithm (SOURCE_IP, SOURCE_IP_PORT, or a change between hashing algorithms): the backend of
     * {@link PoolShift#sampledFlows} fixed pseudo-random client flows before and after (each share within about
     * 1 / sqrt(sampledFlows)). */
    SAMPLE,
    /** Round robin, weighted round robin, least connections, two random choices (no flow keeps a backend): the share
     * of new connections each backend is meant to get, from the weights; moves say where the difference goes. */
    SHARES
  }

  /**
   * @param moved the fraction (0..1) of the hash space whose backend changes (TABLE, SAMPLE), or of new connections
   *     that go to another backend than before (SHARES: half the sum of the share differences)
   * @param sampledFlows the flows compared (SAMPLE), else 0
   * @param moves from one backend to another, largest first, at most {@link Estimates#MAX_MOVES}
   * @param unlisted the part of {@code moved} in smaller moves left out of {@code moves}
   * @param shares every backend eligible before or after, in key order
   */
  public record PoolShift(String poolId, String algorithmBefore, String algorithmAfter, Basis basis, double moved,
      int sampledFlows, List<Move> moves, double unlisted, List<Share> shares) implements CborSerializable {
    public PoolShift {
      moves = List.copyOf(moves);
      shares = List.copyOf(shares);
    }
  }

  /**
   * A fraction of the pool's flows that go from one backend to another. A backend id is empty where no backend takes
   * the flows (nothing eligible before or after).
   *
   * @param fromEndpoint {@code address:port} of {@code fromBackendId}
   */
  public record Move(String fromBackendId, String fromEndpoint, String toBackendId, String toEndpoint, double fraction)
      implements CborSerializable {}

  /** A backend's share of the pool's new flows or connections before and after (0..1). */
  public record Share(String backendId, String endpoint, double before, double after) implements CborSerializable {}

  /** What happens to open connections. */
  public enum Fate {
    /** The backend takes no new connections; the open ones go on until they end (weight 0, disabled, removed). */
    DRAINED,
    /** The listener stops accepting (deleted, disabled, port or protocol changed, load balancer deleted or
     * disabled): open connections may finish for the data plane's drain timeout, then are cut. */
    CUT_AFTER_DRAIN
  }

  /**
   * @param kind "listener" or "backend"
   * @param count the connections open now, from the data plane; -1 when not known
   * @param why what in the change does it: "deleted", "weight 0", "protocol_port 80 -> 8080", ...
   */
  public record OpenConnections(String kind, String id, Fate fate, long count, String why) implements CborSerializable {}
}
