package io.fiberlb.bench;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.api.v1.BackendServiceClient;
import io.fiberlb.api.v1.ListenerServiceClient;
import io.fiberlb.api.v1.LoadBalancerServiceClient;
import io.fiberlb.api.v1.PoolServiceClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcChannel;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;

/**
 * What both benchmarks share: argument parsing, gRPC clients in an actor system of their own, a driver that keeps a
 * fixed number of requests in flight and records each one's latency, and CPU accounting from /proc.
 *
 * <p>The load generator runs in its own JVM from the test classpath (or the shaded jar plus these classes); the
 * server is another process, given by its port and PID. Nothing here starts or stops the server.
 */
final class BenchSupport {
  private BenchSupport() {}

  // ------------------------------------------------------------------ arguments

  /** {@code --key value} or {@code --key=value} pairs; the first word may be a sub-command. */
  static final class Args {
    private final Map<String, String> values = new HashMap<>();
    final List<String> words = new ArrayList<>();

    Args(String[] argv) {
      for (int i = 0; i < argv.length; i++) {
        String a = argv[i];
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

    double dbl(String key, double fallback) {
      String v = values.get(key);
      return v == null ? fallback : Double.parseDouble(v);
    }
  }

  // ------------------------------------------------------------------ clients

  /** A local actor system for the clients; the server's application.conf is deliberately not loaded. */
  static ActorSystem<Void> clientSystem(String name) {
    return ActorSystem.create(Behaviors.empty(), name, ConfigFactory.parseString(String.join("\n",
            "pekko.actor.provider = local",
            "pekko.loglevel = WARNING",
            "pekko.stdout-loglevel = WARNING",
            "pekko.log-dead-letters = off",
            // Only for the in-process floor server the recovery benchmark warms its client against.
            "pekko.http.server.enable-http2 = on"))
        .withFallback(ConfigFactory.defaultReference()));
  }

  /** One HTTP/2 connection to the server, shared by the clients of the four services the benchmarks use. */
  static final class Conn {
    final GrpcChannel channel;
    final LoadBalancerServiceClient lbs;
    final PoolServiceClient pools;
    final ListenerServiceClient listeners;
    final BackendServiceClient backends;

    Conn(ActorSystem<?> system, int port) {
      var settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", port, system).withTls(false);
      channel = GrpcChannel.apply(settings, system);
      lbs = LoadBalancerServiceClient.create(channel, system);
      pools = PoolServiceClient.create(channel, system);
      listeners = ListenerServiceClient.create(channel, system);
      backends = BackendServiceClient.create(channel, system);
    }

    void close() {
      try {
        channel.closeCS().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the system is going away anyway
      }
    }
  }

  /** The tenant headers, added to a request builder. */
  static <Req, Res> SingleResponseRequestBuilder<Req, Res> as(SingleResponseRequestBuilder<Req, Res> b,
      String project) {
    return b.addHeader("x-fiberlb-org", "bench").addHeader("x-fiberlb-project", project)
        .addHeader("x-fiberlb-user", "bench");
  }

  static <T> T await(CompletionStage<T> f) {
    try {
      return f.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The gRPC status code of a failure, or null if it is not a gRPC failure. */
  static Status.Code codeOf(Throwable t) {
    while (t != null) {
      if (t instanceof StatusRuntimeException s) return s.getStatus().getCode();
      if (t instanceof GrpcServiceException g) return g.status().getCode();
      t = t.getCause();
    }
    return null;
  }

  static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    Status.Code c = codeOf(t);
    return (c != null ? c + ": " : "") + root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  // ------------------------------------------------------------------ CPU accounting

  static final long CLK_TCK = Long.getLong("bench.clk.tck", 100);

  /** utime+stime of a process from /proc/PID/stat, in milliseconds; -1 if it cannot be read. */
  static double processCpuMs(long pid) {
    if (pid <= 0) return -1;
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // f[0] is field 3 (state); utime is field 14 and stime field 15.
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000.0 / CLK_TCK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU milliseconds of a process's threads by thread name, with digits folded ("C2 CompilerThreN",
   * "fiberlb-pekko.a" ...; Linux keeps only the first 15 characters of a name), from /proc/PID/task/TID/stat.
   * Threads that have exited are not counted.
   */
  static Map<String, Double> threadCpuMs(long pid) {
    Map<String, Double> out = new HashMap<>();
    if (pid <= 0) return out;
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String s = Files.readString(t.resolve("stat"));
          String name = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')')).replaceAll("[0-9]+", "N");
          String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
          double ms = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000.0 / CLK_TCK;
          out.merge(name, ms, Double::sum);
        } catch (IOException | RuntimeException ignored) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** The {@code top} largest entries of {@code after - before}, as "name=ms" pairs, largest first. */
  static String topDelta(Map<String, Double> before, Map<String, Double> after, int top) {
    return after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0)))
        .filter(e -> e.getValue() > 0)
        .sorted((x, y) -> Double.compare(y.getValue(), x.getValue()))
        .limit(top)
        .map(e -> e.getKey().trim() + "=" + String.format(Locale.ROOT, "%.0f", e.getValue()))
        .reduce((x, y) -> x + " " + y).orElse("");
  }

  /** This JVM's CPU time in milliseconds. */
  static double selfCpuMs() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime() / 1e6;
    return -1;
  }

  /** Busy and total jiffies of the whole machine (all CPUs), from the first line of /proc/stat. */
  static long[] machineJiffies() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  /** CPU used during an interval: by the server, by this JVM and by the whole machine. */
  static final class CpuWindow {
    private final long serverPid;
    private final double server0;
    private final double self0;
    private final long[] machine0;
    private final Map<String, Double> threads0;
    private final long t0 = System.nanoTime();
    String threads = "";

    CpuWindow(long serverPid) {
      this.serverPid = serverPid;
      this.threads0 = threadCpuMs(serverPid);
      this.server0 = processCpuMs(serverPid);
      this.self0 = selfCpuMs();
      this.machine0 = machineJiffies();
    }

    /** {server ms, client ms, machine busy ms, wall ms}. */
    double[] end() {
      double server1 = processCpuMs(serverPid);
      double self1 = selfCpuMs();
      long[] machine1 = machineJiffies();
      double wall = (System.nanoTime() - t0) / 1e6;
      threads = topDelta(threads0, threadCpuMs(serverPid), 6);
      double busy = (machine1[0] - machine0[0]) * 1000.0 / CLK_TCK;
      return new double[] {server0 < 0 || server1 < 0 ? -1 : server1 - server0, self1 - self0, busy, wall};
    }
  }

  // ------------------------------------------------------------------ driver

  /**
   * Runs a callback on the thread that completed the future. The futures pekko-grpc returns are Scala futures
   * converted to CompletableFuture, whose non-async methods (thenApply, whenComplete, ...) are overridden to run on
   * the default async executor. On a 2-CPU machine the common pool has parallelism 1, so that executor is
   * CompletableFuture's ThreadPerTaskExecutor: a new thread per callback. Every callback here passes this executor
   * so the load generator does not pay for that.
   */
  static final java.util.concurrent.Executor DIRECT = Runnable::run;

  /** The outcome of one phase: every operation's latency and the CPU it took. */
  static final class Phase {
    final String op;
    final int count;
    final long errors;
    final String firstError;
    final double seconds;
    final long[] sortedNanos;
    final double serverCpuMs;
    final double clientCpuMs;
    final double machineBusyMs;
    /** Server CPU ms by thread group during the phase, largest first. */
    String serverThreads = "";

    Phase(String op, int count, long errors, String firstError, double seconds, long[] nanos, double[] cpu) {
      this.op = op;
      this.count = count;
      this.errors = errors;
      this.firstError = firstError;
      this.seconds = seconds;
      this.sortedNanos = nanos.clone();
      Arrays.sort(this.sortedNanos);
      this.serverCpuMs = cpu[0];
      this.clientCpuMs = cpu[1];
      this.machineBusyMs = cpu[2];
    }

    double rate() {
      return (count - errors) / seconds;
    }

    /** Latency percentile in milliseconds, p in (0, 100]. */
    double pct(double p) {
      if (sortedNanos.length == 0) return Double.NaN;
      int idx = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
      return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, idx))] / 1e6;
    }

    double serverCpuUsPerOp() {
      return serverCpuMs < 0 ? Double.NaN : serverCpuMs * 1000.0 / count;
    }

    double clientCpuUsPerOp() {
      return clientCpuMs * 1000.0 / count;
    }

    /** CPU used by other processes on the machine during the phase, in cores (0..number of CPUs). */
    double otherCores() {
      if (serverCpuMs < 0) return Double.NaN;
      return Math.max(0, machineBusyMs - serverCpuMs - clientCpuMs) / (seconds * 1000.0);
    }

    double serverCores() {
      return serverCpuMs < 0 ? Double.NaN : serverCpuMs / (seconds * 1000.0);
    }

    double clientCores() {
      return clientCpuMs / (seconds * 1000.0);
    }
  }

  /**
   * Runs {@code ops} calls with exactly {@code concurrency} in flight (fewer only at the very end): each completion
   * starts the next call. {@code call} gets the operation's index and returns its future.
   */
  static Phase drive(String op, int ops, int concurrency, long serverPid, IntFunction<CompletionStage<?>> call) {
    long[] nanos = new long[ops];
    var next = new AtomicInteger();
    var errors = new AtomicLong();
    var firstError = new AtomicReference<String>();
    var done = new CountDownLatch(ops);
    var cpu = new CpuWindow(serverPid);
    long start = System.nanoTime();
    var worker = new Object() {
      void issue() {
        while (true) {
          int i = next.getAndIncrement();
          if (i >= ops) return;
          long t0 = System.nanoTime();
          CompletableFuture<?> f;
          try {
            f = call.apply(i).toCompletableFuture();
          } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
          }
          if (f.isDone()) {
            record(i, t0, f.isCompletedExceptionally() ? exceptionOf(f) : null);
            continue;
          }
          f.whenCompleteAsync((r, e) -> {
            record(i, t0, e);
            issue();
          }, DIRECT);
          return;
        }
      }

      void record(int i, long t0, Throwable e) {
        nanos[i] = System.nanoTime() - t0;
        if (e != null) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, describe(e));
        }
        done.countDown();
      }
    };
    for (int w = 0; w < Math.min(concurrency, ops); w++) worker.issue();
    try {
      if (!done.await(30, TimeUnit.MINUTES)) throw new IllegalStateException(op + ": did not finish in 30 minutes");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Phase p = new Phase(op, ops, errors.get(), firstError.get(), seconds, nanos, cpu.end());
    p.serverThreads = cpu.threads;
    return p;
  }

  private static Throwable exceptionOf(CompletableFuture<?> f) {
    try {
      f.join();
      return null;
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause() != null ? e.getCause() : e;
    } catch (RuntimeException e) {
      return e;
    }
  }

  // ------------------------------------------------------------------ output

  static String fmt(double v) {
    if (Double.isNaN(v)) return "-";
    if (v >= 100) return String.format(Locale.ROOT, "%.0f", v);
    if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static double median(List<Double> xs) {
    var s = xs.stream().filter(d -> !Double.isNaN(d)).sorted().toList();
    if (s.isEmpty()) return Double.NaN;
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /** Appends lines to a results file (created with its header if new). */
  static void append(Path file, String header, List<String> lines) {
    if (file == null) return;
    try {
      if (file.getParent() != null) Files.createDirectories(file.getParent());
      if (!Files.exists(file)) Files.writeString(file, header + "\n");
      Files.writeString(file, String.join("\n", lines) + "\n", java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("cannot write " + file + ": " + e.getMessage());
    }
  }

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }
}
