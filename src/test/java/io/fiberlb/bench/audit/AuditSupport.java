package io.fiberlb.bench.audit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** What the audit benchmarks share: arguments, CPU time from /proc, medians, the server's configuration. */
final class AuditSupport {
  private AuditSupport() {}

  /** {@code --key value} or {@code --key=value}; other words are kept in order (the first is the sub-command). */
  static final class Args {
    final Map<String, String> values = new HashMap<>();
    final List<String> words = new ArrayList<>();

    Args(String[] argv) {
      for (int i = 0; i < argv.length; i++) {
        String a = argv[i];
        if (a.equals("--")) {
          // Everything after a lone -- is words (a command to run), never options.
          words.addAll(List.of(argv).subList(i + 1, argv.length));
          break;
        }
        if (a.startsWith("--")) {
          int eq = a.indexOf('=');
          if (eq > 0) {
            values.put(a.substring(2, eq), a.substring(eq + 1));
          } else {
            if (i + 1 >= argv.length) throw new IllegalArgumentException(a + ": needs a value");
            values.put(a.substring(2), argv[++i]);
          }
        } else {
          words.add(a);
        }
      }
    }

    String str(String key, String fallback) {
      return values.getOrDefault(key, fallback);
    }

    String required(String key) {
      String v = values.get(key);
      if (v == null) throw new IllegalArgumentException("--" + key + " is required");
      return v;
    }

    int integer(String key, int fallback) {
      String v = values.get(key);
      return v == null ? fallback : Integer.parseInt(v);
    }

    long longValue(String key, long fallback) {
      String v = values.get(key);
      return v == null ? fallback : Long.parseLong(v);
    }
  }

  static final long CLK_TCK = Long.getLong("bench.clk.tck", 100);

  /** utime + stime of a process, in ms, from /proc/PID/stat; -1 when unreadable. */
  static long cpuMs(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // The command name (field 2) may contain spaces: split after its closing parenthesis.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 1000 / CLK_TCK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static long selfPid() {
    return ProcessHandle.current().pid();
  }

  /** Waits until a process uses less than {@code maxCores} over {@code windowMs}, at most {@code timeoutMs}. */
  static long waitQuiet(long pid, double maxCores, long windowMs, long timeoutMs) throws InterruptedException {
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < timeoutMs) {
      long c0 = cpuMs(pid);
      long t0 = System.nanoTime();
      Thread.sleep(windowMs);
      long c1 = cpuMs(pid);
      double cores = (c1 - c0) / ((System.nanoTime() - t0) / 1e6);
      if (c0 < 0 || cores < maxCores) break;
    }
    return System.currentTimeMillis() - start;
  }

  static double median(List<Double> xs) {
    var s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    if (n == 0) return Double.NaN;
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static String loadavg() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  /** Appends a line to a TSV file, writing the header first when the file is new. */
  static synchronized void tsv(Path file, String header, String row) {
    try {
      if (!Files.exists(file)) Files.writeString(file, header + "\n");
      Files.writeString(file, row + "\n", java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The configuration a FiberLB node would load for this data directory (application.conf of the jar), with
   * overrides; like the integration tests' TestServer, without the WRITE_DELAY=0 of the server unless asked.
   */
  static Config nodeConfig(Path dataDir, Map<String, Object> overrides, boolean writeDelay0) {
    Map<String, Object> m = new HashMap<>();
    m.put("fiberlb.grpc.port", 0);
    m.put("fiberlb.metrics.port", 0);
    m.put("fiberlb.data-dir", dataDir.toString());
    m.put("fiberlb.database.url", "jdbc:h2:file:" + dataDir + "/fiberlb;DATABASE_TO_UPPER=false"
        + (writeDelay0 ? ";WRITE_DELAY=0" : ""));
    m.put("pekko.remote.artery.canonical.port", 0);
    m.put("pekko.loglevel", "WARNING");
    // Events only: the generated backends have made-up addresses, which must be neither bound nor probed.
    m.put("fiberlb.dataplane.enabled", false);
    m.putAll(overrides);
    return ConfigFactory.systemProperties().withFallback(ConfigFactory.parseMap(m))
        .withFallback(ConfigFactory.defaultApplication()).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  /** A local actor system for gRPC clients; the server's application.conf is deliberately not loaded. */
  static ActorSystem<Void> clientSystem(String name) {
    return ActorSystem.create(Behaviors.empty(), name, ConfigFactory.parseString(String.join("\n",
            "pekko.actor.provider = local",
            "pekko.loglevel = WARNING",
            "pekko.stdout-loglevel = WARNING",
            "pekko.log-dead-letters = off"))
        .withFallback(ConfigFactory.defaultReference()));
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) return "-";
    if (Math.abs(v) >= 100) return String.format(java.util.Locale.ROOT, "%.0f", v);
    if (Math.abs(v) >= 10) return String.format(java.util.Locale.ROOT, "%.1f", v);
    return String.format(java.util.Locale.ROOT, "%.2f", v);
  }
}
