package io.fiberlb.cli;

import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.DryRun;
import io.fiberlb.api.v1.FlowMove;
import io.fiberlb.api.v1.OpenConnections;
import io.fiberlb.api.v1.PoolDisruption;
import java.util.Locale;

/**
 * A dry run as a person reads it: the versions, one line per change (as {@code audit diff} prints them), then per
 * pool how many flows would move and where, then the open connections the change would drain or cut:
 * <pre>
 * dry run: version 12 -> 13; nothing was changed
 * - backend 5678abcd 10.0.0.7:8080
 * maglev: 24.9% of flows move (10.0.0.7:8080 -> 10.0.0.5:8080 12.6%, 10.0.0.7:8080 -> 10.0.0.6:8080 12.3%)
 * backend 5678abcd: 3 open connections continue, no new ones (deleted)
 * </pre>
 */
final class DryRunOutput {
  private DryRunOutput() {}

  /** Moves named per pool; the rest are summed up. */
  static final int MOVES_SHOWN = 5;

  static String text(DryRun d) {
    var sb = new StringBuilder("dry run: version " + d.getFromVersion() + " -> " + d.getToVersion()
        + "; nothing was changed\n");
    if (d.getChangesCount() == 0) sb.append("no changes\n");
    for (Change c : d.getChangesList()) sb.append(HistoryText.change(c)).append('\n');
    for (PoolDisruption p : d.getDisruption().getPoolsList()) sb.append(pool(p)).append('\n');
    for (OpenConnections c : d.getDisruption().getConnectionsList()) sb.append(connections(c)).append('\n');
    return sb.toString();
  }

  /** {@code maglev: 24.9% of flows move (B -> A 12.6%, B -> C 12.3%)}, with the pool when it is not obvious. */
  static String pool(PoolDisruption p) {
    String algorithm = p.getLbAlgorithmBefore().equals(p.getLbAlgorithmAfter())
        ? p.getLbAlgorithmAfter().toLowerCase(Locale.ROOT)
        : p.getLbAlgorithmBefore().toLowerCase(Locale.ROOT) + " -> " + p.getLbAlgorithmAfter().toLowerCase(Locale.ROOT);
    String what = switch (p.getBasis()) {
      case SHARES -> "of new connections go elsewhere";
      case SAMPLE -> "of flows move (of " + p.getSampledFlows() + " sampled)";
      default -> "of flows move";
    };
    var sb = new StringBuilder("pool " + Output.shortId(p.getPoolId()) + " " + algorithm + ": " + percent(p.getMoved())
        + " " + what);
    if (p.getMovesCount() > 0) {
      sb.append(" (");
      double rest = p.getUnlisted();
      for (int i = 0; i < p.getMovesCount(); i++) {
        FlowMove m = p.getMoves(i);
        if (i >= MOVES_SHOWN) {
          rest += m.getFraction();
          continue;
        }
        if (i > 0) sb.append(", ");
        sb.append(endpoint(m.getFromEndpoint())).append(" -> ").append(endpoint(m.getToEndpoint())).append(' ')
            .append(percent(m.getFraction()));
      }
      if (rest > 0) sb.append(", others ").append(percent(rest));
      sb.append(')');
    }
    return sb.toString();
  }

  /** {@code listener 1234abcd: 12 open connections cut after the drain timeout (protocol_port 80 -> 8080)}. */
  static String connections(OpenConnections c) {
    String count = c.getCount() < 0 ? "open connections (count not known)"
        : c.getCount() + " open connection" + (c.getCount() == 1 ? "" : "s");
    String fate = c.getFate() == OpenConnections.Fate.DRAINED ? "continue, no new ones"
        : "may finish for the drain timeout, then are cut";
    return c.getResourceKind() + " " + Output.shortId(c.getResourceId()) + ": " + count + " " + fate + " ("
        + c.getReason() + ")";
  }

  private static String endpoint(String e) {
    return e.isEmpty() ? "nowhere" : e;
  }

  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
  }
}
