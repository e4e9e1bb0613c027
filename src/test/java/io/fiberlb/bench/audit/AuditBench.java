package io.fiberlb.bench.audit;

import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.AuditServiceClient;
import io.fiberlb.api.v1.GetLoadBalancerAtRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.LoadBalancerServiceClient;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.api.v1.StreamEventsRequest;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcChannel;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The client side of the audit benchmarks, against a running server (another process, given by port and PID).
 *
 * <ul>
 *   <li>{@code replay}: GetLoadBalancerAt on one load balancer, now and at earlier versions; wall time per call,
 *       events replayed per second (the snapshot's sequence_nr / time), the server's CPU per event. Checks the
 *       answer against the manifest and against GetLoadBalancer (the live entity).
 *   <li>{@code export}: StreamEvents of a whole project (follow=false); {@code --mode json} writes JSON Lines to a
 *       file as the CLI's export does (JsonFormat, proto field names, default values included, compact, appended
 *       straight to a buffered writer), {@code --mode count} only counts (no client JSON: the server's cost alone).
 *   <li>{@code cli}: runs a command (the CLI's export) with stdout to a file, and measures it and the server.
 * </ul>
 * Every call is warmed up first ({@code --warmup}), then timed {@code --runs} times; one TSV row per timed run.
 */
public final class AuditBench {
  private static final String TSV_HEADER = String.join("\t", "label", "kind", "run", "events", "wall_ms",
      "events_per_s", "server_cpu_ms", "server_us_per_event", "client_cpu_ms", "client_us_per_event", "bytes",
      "first_event_ms", "complete", "loadavg");

  public static void main(String[] argv) throws Exception {
    var args = new AuditSupport.Args(argv);
    String cmd = args.words.isEmpty() ? "" : args.words.get(0);
    switch (cmd) {
      case "replay" -> replay(args);
      case "export" -> export(args);
      case "cli" -> cli(args);
      default -> {
        System.err.println("usage: AuditBench replay|export|cli --port P --server-pid PID ...");
        System.exit(2);
      }
    }
    System.exit(0);
  }

  private static void row(Path out, String label, String kind, int run, long events, double wallMs, long serverCpu,
      long clientCpu, long bytes, double firstMs) {
    row(out, label, kind, run, events, wallMs, serverCpu, clientCpu, bytes, firstMs, true);
  }

  private static void row(Path out, String label, String kind, int run, long events, double wallMs, long serverCpu,
      long clientCpu, long bytes, double firstMs, boolean complete) {
    String r = String.join("\t", label, kind, Integer.toString(run), Long.toString(events), f(wallMs),
        f(events * 1000.0 / wallMs), Long.toString(serverCpu), f(serverCpu * 1000.0 / Math.max(1, events)),
        Long.toString(clientCpu), clientCpu < 0 ? "-" : f(clientCpu * 1000.0 / Math.max(1, events)),
        Long.toString(bytes), f(firstMs), complete ? "yes" : "no", AuditSupport.loadavg().split(" ")[0]);
    AuditSupport.tsv(out, TSV_HEADER, r);
    System.out.println(r);
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  // ------------------------------------------------------------------ replay

  private static void replay(AuditSupport.Args args) throws Exception {
    int port = args.integer("port", 0);
    long serverPid = args.longValue("server-pid", -1);
    String org = args.required("org");
    String project = args.required("project");
    String lb = args.required("lb");
    long expectEvents = args.longValue("expect-events", -1);
    long expectVersion = args.longValue("expect-version", -1);
    int warmup = args.integer("warmup", 2);
    int runs = args.integer("runs", 5);
    String label = args.str("label", "replay");
    Path out = Path.of(args.required("out"));
    // Which points to time: now (no `at`), and versions given as fractions of the latest.
    String[] points = args.str("points", "now").split(",");

    ActorSystem<Void> sys = AuditSupport.clientSystem("audit-bench");
    try {
      var settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", port, sys).withTls(false);
      var channel = GrpcChannel.apply(settings, sys);
      var audit = AuditServiceClient.create(channel, sys);
      var lbs = LoadBalancerServiceClient.create(channel, sys);

      // The live entity's view, to check the replay against.
      var live = lbs.getLoadBalancer().addHeader("x-fiberlb-org", org).addHeader("x-fiberlb-project", project)
          .invoke(GetLoadBalancerRequest.newBuilder().setId(lb).build()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      System.out.printf("live: version %d%n", live.getVersion());

      for (String point : points) {
        var req = GetLoadBalancerAtRequest.newBuilder().setId(lb);
        if (!point.equals("now")) {
          long v = Math.max(1, Math.round(live.getVersion() * Double.parseDouble(point)));
          req.setAt(PointInTime.newBuilder().setVersion(v));
        }
        for (int i = 0; i < warmup + runs; i++) {
          long c0 = AuditSupport.cpuMs(serverPid);
          long t0 = System.nanoTime();
          LoadBalancerSnapshot snap = audit.getLoadBalancerAt().addHeader("x-fiberlb-org", org)
              .addHeader("x-fiberlb-project", project).invoke(req.build()).toCompletableFuture()
              .get(600, TimeUnit.SECONDS);
          double ms = (System.nanoTime() - t0) / 1e6;
          long c1 = AuditSupport.cpuMs(serverPid);
          if (i == 0) {
            int children = snap.getListenersCount() + snap.getPoolsCount() + snap.getBackendsCount()
                + snap.getHealthChecksCount();
            System.out.printf("point %s: sequence_nr %d, version %d, %d children (%d listeners, %d pools, %d backends,"
                    + " %d health checks), %d bytes%n", point, snap.getSequenceNr(),
                snap.getLoadBalancer().getVersion(), children, snap.getListenersCount(), snap.getPoolsCount(),
                snap.getBackendsCount(), snap.getHealthChecksCount(), snap.getSerializedSize());
            if (point.equals("now")) {
              check(snap.getLoadBalancer().getVersion() == live.getVersion(), "replayed version "
                  + snap.getLoadBalancer().getVersion() + " != live version " + live.getVersion());
              if (expectEvents >= 0) check(snap.getSequenceNr() == expectEvents, "sequence_nr " + snap.getSequenceNr()
                  + " != generated events " + expectEvents);
              if (expectVersion >= 0) check(snap.getLoadBalancer().getVersion() == expectVersion, "version "
                  + snap.getLoadBalancer().getVersion() + " != generated version " + expectVersion);
              check(snap.getLoadBalancer().getName().equals(live.getName()), "name differs from the live one");
            }
          }
          // Every event of the load balancer is read and folded whatever the point: count them all.
          long events = expectEvents > 0 ? expectEvents : snap.getSequenceNr();
          if (i >= warmup) {
            row(out, label + "-" + point, "replay", i - warmup + 1, events, ms, c1 - c0, -1, snap.getSerializedSize(), ms);
          } else {
            System.out.printf("warm-up %d: %.0f ms%n", i + 1, ms);
          }
        }
      }
      channel.closeCS().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      sys.terminate();
      sys.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("check failed: " + what);
  }

  // ------------------------------------------------------------------ export

  private static final JsonFormat.Printer JSON_LINE = JsonFormat.printer().preservingProtoFieldNames()
      .includingDefaultValueFields().omittingInsignificantWhitespace();

  /** Counts bytes on their way to the file. */
  private static final class CountingWriter extends Writer {
    final Writer inner;
    long chars;

    CountingWriter(Writer inner) {
      this.inner = inner;
    }

    @Override
    public void write(char[] buf, int off, int len) throws IOException {
      chars += len;
      inner.write(buf, off, len);
    }

    @Override
    public void write(String s, int off, int len) throws IOException {
      chars += len;
      inner.write(s, off, len);
    }

    @Override
    public void write(int c) throws IOException {
      chars++;
      inner.write(c);
    }

    @Override
    public void flush() throws IOException {
      inner.flush();
    }

    @Override
    public void close() throws IOException {
      inner.close();
    }
  }

  private static void export(AuditSupport.Args args) throws Exception {
    int port = args.integer("port", 0);
    long serverPid = args.longValue("server-pid", -1);
    String org = args.required("org");
    String project = args.required("project");
    long expect = args.longValue("expect-events", -1);
    int warmup = args.integer("warmup", 1);
    int runs = args.integer("runs", 3);
    String mode = args.str("mode", "json");
    String label = args.str("label", "export-" + mode);
    Path out = Path.of(args.required("out"));
    Path file = Path.of(args.str("file", "/dev/null"));
    long maxSeconds = args.longValue("max-seconds", 3600);
    long selfPid = AuditSupport.selfPid();

    ActorSystem<Void> sys = AuditSupport.clientSystem("audit-bench");
    try {
      var settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", port, sys).withTls(false);
      var channel = GrpcChannel.apply(settings, sys);
      var audit = AuditServiceClient.create(channel, sys);
      var req = StreamEventsRequest.newBuilder().setFollow(false).setFromOffset(args.longValue("from-offset", 0))
          .build();
      for (int i = 0; i < warmup + runs; i++) {
        long[] n = {0};
        double[] first = {-1};
        long c0 = AuditSupport.cpuMs(serverPid);
        long s0 = AuditSupport.cpuMs(selfPid);
        long t0 = System.nanoTime();
        long bytes;
        var progress = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        long[] lastN = {0};
        progress.scheduleAtFixedRate(() -> {
          long now = n[0];
          System.out.printf("  ... %.0f s: %d events (%d in the last 10 s), server CPU %d ms so far%n",
              (System.nanoTime() - t0) / 1e9, now, now - lastN[0], AuditSupport.cpuMs(serverPid) - c0);
          lastN[0] = now;
        }, 10, 10, TimeUnit.SECONDS);
        try (var cw = new CountingWriter(new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file),
            StandardCharsets.UTF_8), 1 << 16))) {
          var sink = Sink.<AuditEvent>foreach(e -> {
            if (n[0]++ == 0) first[0] = (System.nanoTime() - t0) / 1e6;
            if (mode.equals("json")) {
              try {
                JSON_LINE.appendTo(e, cw);
                cw.write('\n');
              } catch (IOException x) {
                throw new UncheckedIOException(x);
              }
            }
          }).withAttributes(Attributes.apply(ActorAttributes.IODispatcher()));
          // Cut off after --max-seconds (the cancel reaches the server, which stops reading): what was exported by
          // then is recorded as an incomplete run.
          audit.streamEvents().addHeader("x-fiberlb-org", org).addHeader("x-fiberlb-project", project).invoke(req)
              .takeWithin(java.time.Duration.ofSeconds(maxSeconds))
              .async().runWith(sink, sys).toCompletableFuture().get(maxSeconds + 600, TimeUnit.SECONDS);
          cw.flush();
          bytes = cw.chars;
        } finally {
          progress.shutdownNow();
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        long c1 = AuditSupport.cpuMs(serverPid);
        long s1 = AuditSupport.cpuMs(selfPid);
        boolean complete = expect < 0 || n[0] == expect;
        if (ms < maxSeconds * 1000 - 1000 && expect >= 0) {
          check(n[0] == expect, "streamed " + n[0] + " events, the generator wrote " + expect);
        }
        if (!complete) {
          System.out.printf("cut off after %d s: %d of %d events%n", maxSeconds, n[0], expect);
        }
        if (i >= warmup) {
          row(out, label, "export-" + mode, i - warmup + 1, n[0], ms, c1 - c0, s1 - s0, bytes, first[0], complete);
        } else {
          row(out, label + "-first", "export-" + mode, 0, n[0], ms, c1 - c0, s1 - s0, bytes, first[0], complete);
        }
        if (!complete) break;
      }
      channel.closeCS().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      sys.terminate();
      sys.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  // ------------------------------------------------------------------ cli

  /**
   * Runs {@code -- COMMAND...} with stdout to {@code --file}, {@code --runs} times after {@code --warmup}; counts the
   * lines written; CPU of the command from its /proc/PID/stat (sampled every 20 ms until it exits: its children, if
   * any, are not counted) and of the server.
   */
  private static void cli(AuditSupport.Args args) throws Exception {
    long serverPid = args.longValue("server-pid", -1);
    long expect = args.longValue("expect-events", -1);
    int warmup = args.integer("warmup", 1);
    int runs = args.integer("runs", 3);
    String label = args.str("label", "cli-export");
    Path out = Path.of(args.required("out"));
    Path file = Path.of(args.required("file"));
    long maxSeconds = args.longValue("max-seconds", 3600);
    List<String> command = new ArrayList<>(args.words.subList(1, args.words.size()));
    for (int i = 0; i < warmup + runs; i++) {
      Files.deleteIfExists(file);
      long c0 = AuditSupport.cpuMs(serverPid);
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(command).redirectOutput(file.toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      long cpu = 0;
      boolean killed = false;
      while (!p.waitFor(20, TimeUnit.MILLISECONDS)) {
        long c = AuditSupport.cpuMs(p.pid());
        if (c >= 0) cpu = c;
        if (!killed && System.nanoTime() - t0 > maxSeconds * 1_000_000_000L) {
          System.out.printf("cut off after %d s%n", maxSeconds);
          p.destroy();
          killed = true;
        }
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      long c1 = AuditSupport.cpuMs(serverPid);
      if (!killed && p.exitValue() != 0) throw new IllegalStateException("command exited with " + p.exitValue());
      long lines;
      try (var s = Files.lines(file)) {
        lines = s.count();
      }
      long bytes = Files.size(file);
      if (expect >= 0 && !killed) {
        check(lines == expect, "the command wrote " + lines + " lines, the generator wrote " + expect);
      }
      if (i >= warmup) {
        row(out, label, "cli-export", i - warmup + 1, lines, ms, c1 - c0, cpu, bytes, -1, !killed);
      } else {
        row(out, label + "-first", "cli-export", 0, lines, ms, c1 - c0, cpu, bytes, -1, !killed);
      }
      if (killed) break;
    }
  }
}
