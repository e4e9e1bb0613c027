package io.fiberlb.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Real server processes ({@code io.fiberlb.Main server} with {@code conf/cluster-node.conf}, as an operator runs
 * them) forming one cluster on one PostgreSQL database, on loopback ports of their own. Each node keeps its ports
 * and data directory across restarts, as a node restarted by its supervisor does. Every process is stopped by its
 * own PID in {@link #close}.
 */
final class ClusterNodes implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Path dir;
  final List<Node> nodes = new ArrayList<>();

  final class Node {
    final String name;
    final int clusterPort;
    final int managementPort;
    final int grpcPort;
    final Map<String, String> env;
    Process process;
    int starts;

    Node(String name, int managementPort, Map<String, String> env) throws IOException {
      this.name = name;
      this.clusterPort = freePort();
      this.managementPort = managementPort;
      this.grpcPort = freePort();
      this.env = env;
    }

    /** pekko://fiberlb@127.0.0.1:port: this node's cluster address. */
    String address() {
      return "pekko://fiberlb@127.0.0.1:" + clusterPort;
    }

    void start() throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      var pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dconfig.file=conf/cluster-node.conf", "-Dlogback.configurationFile=logback.xml", "-cp", System.getProperty("java.class.path"), "io.fiberlb.Main",
          "server");
      Map<String, String> e = pb.environment();
      e.keySet().removeIf(k -> k.startsWith("FIBERLB_") && !k.startsWith("FIBERLB_TEST_"));
      e.putAll(env);
      e.put("FIBERLB_CLUSTER_PORT", Integer.toString(clusterPort));
      e.put("FIBERLB_MANAGEMENT_PORT", Integer.toString(managementPort));
      e.put("FIBERLB_GRPC_PORT", Integer.toString(grpcPort));
      e.put("FIBERLB_METRICS_ENABLED", "false");
      e.put("FIBERLB_DATA_DIR", dir.resolve(name).toString());
      process = pb.redirectErrorStream(true)
          .redirectOutput(dir.resolve(name + "-" + (++starts) + ".log").toFile()).start();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then wait for the process to end. */
    void stopGracefully() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    void signal(String sig) throws IOException, InterruptedException {
      new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    /** This node's view of the cluster: the Up members' addresses, empty when it answers nothing or is no member. */
    Set<String> upMembers() {
      JsonNode members = get("/cluster/members");
      Set<String> up = new TreeSet<>();
      if (members == null) return up;
      for (JsonNode m : members.path("members")) {
        if (m.path("status").asText().equals("Up")) up.add(m.path("node").asText());
      }
      return up;
    }

    /** The LoadBalancer shards this node's region holds (pekko-management's shard view); empty when none. */
    Set<String> shards() {
      return shards("LoadBalancer");
    }

    /** The shards of entity type {@code typeName} this node's region holds with entities in them. */
    Set<String> shards(String typeName) {
      JsonNode details = get("/cluster/shards/" + typeName);
      Set<String> ids = new TreeSet<>();
      if (details == null) return ids;
      for (JsonNode r : details.path("regions")) {
        if (r.path("numEntities").asInt() > 0) ids.add(r.path("shardId").asText());
      }
      return ids;
    }

    private JsonNode get(String path) {
      try {
        var res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
            .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
        return res.statusCode() == 200 ? JSON.readTree(res.body()) : null;
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    String log() {
      return dir.resolve(name + "-" + starts + ".log").toString();
    }
  }

  /** @param common environment of every node (journal, VIP range); @param extra per node, by index */
  /**
   * Three nodes on a fresh PostgreSQL database of {@code FIBERLB_TEST_POSTGRES} with VIPs in {@code vipRange},
   * started and formed into one cluster within two minutes (the benchmarks' fixture).
   */
  static ClusterNodes formedOnFreshDatabase(String database, String vipRange) throws Exception {
    Map<String, String> common = new java.util.HashMap<>(Postgres.asEnvironment(Postgres.freshDatabase(database)));
    common.put("FIBERLB_VIP_RANGE", vipRange);
    var cluster = new ClusterNodes(3, common, Map.of());
    try {
      cluster.startAll();
      cluster.awaitOneCluster(FORMED);
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  static final java.time.Duration FORMED = java.time.Duration.ofSeconds(120);

  ClusterNodes(int count, Map<String, String> common, Map<Integer, Map<String, String>> extra) throws IOException {
    dir = Files.createTempDirectory("fiberlb-cluster");
    // node1 gets the lowest management port: it is the node that forms the cluster at a cold start.
    List<Integer> managementPorts = new ArrayList<>();
    for (int i = 0; i < count; i++) managementPorts.add(freePort());
    managementPorts.sort(null);
    List<String> contactPoints = managementPorts.stream().map(p -> "127.0.0.1:" + p).toList();
    for (int i = 0; i < count; i++) {
      Map<String, String> env = new HashMap<>(common);
      env.putAll(extra.getOrDefault(i, Map.of()));
      env.put("FIBERLB_CONTACT_POINTS", String.join(",", contactPoints));
      env.put("FIBERLB_CLUSTER_SIZE", Integer.toString(count));
      nodes.add(new Node("node" + (i + 1), managementPorts.get(i), env));
    }
  }

  Node node(int i) {
    return nodes.get(i);
  }

  void startAll() throws IOException {
    for (Node n : nodes) n.start();
  }

  /** Every node's set of Up members, as each node reports it. */
  Map<String, Set<String>> views() {
    Map<String, Set<String>> v = new java.util.TreeMap<>();
    for (Node n : nodes) v.put(n.name, n.process != null && n.process.isAlive() ? n.upMembers() : Set.of());
    return v;
  }

  /**
   * Polls until every node reports the same Up members, all of them; fails naming each node's view. Meanwhile it
   * restarts any node whose process has ended, as the supervisor the docs require would (a node downed by the
   * cluster, e.g. after being frozen longer than the failure detector allows, exits).
   */
  void awaitOneCluster(Duration deadline) {
    Set<String> all = new TreeSet<>();
    nodes.forEach(n -> all.add(n.address()));
    Poll.until("all " + nodes.size() + " nodes Up in one cluster (node logs in " + dir + ")", deadline, () -> {
      for (Node n : nodes) {
        if (n.process != null && !n.process.isAlive()) {
          System.out.println(n.name + " exited with status " + n.process.exitValue() + " (log " + n.log()
              + "); restarting it, as its supervisor would");
          try {
            n.start();
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      }
      return views();
    }, v -> v.values().stream().allMatch(all::equals));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Node n : nodes) {
      if (n.process != null && n.process.isAlive()) {
        try {
          n.signal("CONT");
        } catch (IOException e) {
          // it is killed next anyway
        }
        n.kill();
      }
    }
  }
}
