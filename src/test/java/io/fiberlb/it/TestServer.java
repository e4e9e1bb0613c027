package io.fiberlb.it;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.FiberLb;
import io.fiberlb.api.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;

/**
 * A real FiberLB node on an H2 file in a temporary directory and an ephemeral gRPC port, and real gRPC clients
 * that talk to it as one (org, project).
 */
public final class TestServer implements AutoCloseable {
  public final Path dataDir;
  private final Map<String, Object> overrides;
  private FiberLb.Node node;
  private final ActorSystem<Void> clientSystem;

  /** gRPC clients for a server at a port, in an actor system of their own. */
  public static final class Client implements AutoCloseable {
    final ActorSystem<Void> system;
    final int port;

    public Client(int port) {
      this(newClientSystem(), port);
    }

    Client(ActorSystem<Void> system, int port) {
      this.system = system;
      this.port = port;
    }

    public Api as(String project) {
      return new Api(system, port, "default", project);
    }

    @Override
    public void close() {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  static ActorSystem<Void> newClientSystem() {
    return ActorSystem.create(Behaviors.empty(), "test-client",
        ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING"));
  }

  public TestServer(Map<String, Object> overrides) throws IOException {
    this(Files.createTempDirectory("fiberlb-test"), overrides);
  }

  public TestServer(Path dataDir, Map<String, Object> overrides) {
    this.dataDir = dataDir;
    this.overrides = overrides;
    this.clientSystem = newClientSystem();
    start();
  }

  public static Config config(Path dataDir, Map<String, Object> overrides) {
    Map<String, Object> m = new HashMap<>();
    m.put("fiberlb.grpc.port", 0);
    m.put("fiberlb.metrics.port", 0);
    m.put("fiberlb.data-dir", dataDir.toString());
    m.put("fiberlb.database.url", "jdbc:h2:file:" + dataDir + "/fiberlb;DATABASE_TO_UPPER=false;WRITE_DELAY=0");
    // Control-plane tests use made-up backend addresses (10.0.0.5, example host names): no data plane, so nothing
    // probes or connects beyond loopback. Data-plane tests turn it on with loopback backends.
    m.put("fiberlb.dataplane.enabled", false);
    // ... yet the node owns load balancers, as a data-plane node does (a control-plane-only node would not).
    m.put("fiberlb.cluster.roles", "dataplane,controlplane");
    m.putAll(overrides);
    // Overrides go in before substitutions are resolved, so ${fiberlb.database.url} and friends follow them.
    return io.fiberlb.persistence.Schema.withDatabaseKind(ConfigFactory.parseMap(m)
        .withFallback(ConfigFactory.defaultApplication()).withFallback(ConfigFactory.defaultReference()).resolve());
  }

  public void start() {
    node = FiberLb.start(config(dataDir, overrides));
  }

  public void stop() {
    if (node != null) node.stop();
    node = null;
  }

  /**
   * Events in this server's H2 journal. {@code withSharding} false leaves sharding's own bookkeeping out (an entity
   * started to answer a question is remembered by remember-entities as for any read).
   */
  public long journalRows(boolean withSharding) {
    String url = "jdbc:h2:file:" + dataDir + "/fiberlb;DATABASE_TO_UPPER=false;WRITE_DELAY=0";
    String sql = "SELECT COUNT(*) FROM \"event_journal\""
        + (withSharding ? "" : " WHERE \"persistence_id\" NOT LIKE '/sharding/%'");
    try (var c = java.sql.DriverManager.getConnection(url, "fiberlb", "fiberlb");
        var rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public FiberLb.Node node() {
    return node;
  }

  public int port() {
    return node.grpcPort();
  }

  public Api as(String project) {
    return as("default", project);
  }

  public Api as(String org, String project) {
    return new Api(clientSystem, port(), org, project);
  }

  @Override
  public void close() {
    stop();
    clientSystem.terminate();
    clientSystem.getWhenTerminated().toCompletableFuture().join();
  }

  /** Blocking clients of every service, sending one tenant's headers. Recreated after a server restart. */
  public static final class Api {
    public final String org;
    public final String project;
    private final GrpcClientSettings settings;
    private final ActorSystem<Void> clientSystem;
    /** The x-fiberlb-user header, or null. */
    private final String user;
    /** The bearer token of the authorization header, or null. */
    private final String bearer;

    Api(ActorSystem<Void> clientSystem, int port, String org, String project) {
      this(clientSystem, GrpcClientSettings.connectToServiceAt("127.0.0.1", port, clientSystem).withTls(false), org,
          project, null, null);
    }

    private Api(ActorSystem<Void> clientSystem, GrpcClientSettings settings, String org, String project, String user,
        String bearer) {
      this.clientSystem = clientSystem;
      this.org = org;
      this.project = project;
      this.settings = settings;
      this.user = user;
      this.bearer = bearer;
    }

    /** Clients over channels of the given settings (TLS, a client certificate), naming an org and project. */
    public static Api over(ActorSystem<Void> clientSystem, GrpcClientSettings settings, String org, String project) {
      return new Api(clientSystem, settings, org, project, null, null);
    }

    /** The same tenant, calling as another principal. */
    public Api as(String user) {
      return new Api(clientSystem, settings, org, project, user, bearer);
    }

    /** The same tenant headers with {@code authorization: Bearer <token>} (null: none). */
    public Api withBearer(String token) {
      return new Api(clientSystem, settings, org, project, user, token);
    }

    public ActorSystem<Void> system() {
      return clientSystem;
    }

    public AuditServiceClient audit() {
      return cached("audit", () -> AuditServiceClient.create(settings, clientSystem));
    }

    public HistoryServiceClient history() {
      return cached("history", () -> HistoryServiceClient.create(settings, clientSystem));
    }

    public io.fiberlb.api.v1.ClusterServiceClient cluster() {
      return cached("cluster", () -> io.fiberlb.api.v1.ClusterServiceClient.create(settings, clientSystem));
    }

    public io.fiberlb.api.v1.QuotaServiceClient quotas() {
      return cached("quota", () -> io.fiberlb.api.v1.QuotaServiceClient.create(settings, clientSystem));
    }

    public LoadBalancerServiceClient lbs() {
      return cached("lb", () -> LoadBalancerServiceClient.create(settings, clientSystem));
    }

    public ListenerServiceClient listeners() {
      return cached("listener", () -> ListenerServiceClient.create(settings, clientSystem));
    }

    public PoolServiceClient pools() {
      return cached("pool", () -> PoolServiceClient.create(settings, clientSystem));
    }

    public BackendServiceClient backends() {
      return cached("backend", () -> BackendServiceClient.create(settings, clientSystem));
    }

    public io.fiberlb.api.v1.CertificateServiceClient certificates() {
      return cached("certificates", () -> io.fiberlb.api.v1.CertificateServiceClient.create(settings, clientSystem));
    }

    public HealthCheckServiceClient healthChecks() {
      return cached("hc", () -> HealthCheckServiceClient.create(settings, clientSystem));
    }

    public io.fiberlb.api.v1.L7PolicyServiceClient l7policies() {
      return cached("l7policy", () -> io.fiberlb.api.v1.L7PolicyServiceClient.create(settings, clientSystem));
    }

    public io.fiberlb.api.v1.L7RuleServiceClient l7rules() {
      return cached("l7rule", () -> io.fiberlb.api.v1.L7RuleServiceClient.create(settings, clientSystem));
    }

    private final Map<String, Object> clients = new HashMap<>();

    @SuppressWarnings("unchecked")
    private synchronized <T> T cached(String key, Supplier<T> make) {
      return (T) clients.computeIfAbsent(key, k -> make.get());
    }

    /** Calls with this tenant's headers and waits for the answer. */
    public <Req, Res> Res call(SingleResponseRequestBuilder<Req, Res> rpc, Req request) {
      return await(callAsync(rpc, request));
    }

    public <Req, Res> CompletionStage<Res> callAsync(SingleResponseRequestBuilder<Req, Res> rpc, Req request) {
      var withTenant = rpc.addHeader("x-fiberlb-org", org).addHeader("x-fiberlb-project", project);
      if (bearer != null) withTenant = withTenant.addHeader("authorization", "Bearer " + bearer);
      return (user == null ? withTenant : withTenant.addHeader("x-fiberlb-user", user)).invoke(request);
    }

    /** A server-streaming call with this tenant's headers. */
    public <Req, Res> org.apache.pekko.stream.javadsl.Source<Res, org.apache.pekko.NotUsed> stream(
        org.apache.pekko.grpc.javadsl.StreamResponseRequestBuilder<Req, Res> rpc, Req request) {
      var withTenant = rpc.addHeader("x-fiberlb-org", org).addHeader("x-fiberlb-project", project);
      return (bearer == null ? withTenant : withTenant.addHeader("authorization", "Bearer " + bearer)).invoke(request);
    }

    // Shorthands for the calls most tests make.

    public LoadBalancer createLb(String name) {
      return call(lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
          .setLoadBalancer(LoadBalancerSpec.newBuilder().setName(name)).build());
    }

    public LoadBalancer getLb(String id) {
      return call(lbs().getLoadBalancer(), GetLoadBalancerRequest.newBuilder().setId(id).build());
    }

    public Pool createPool(String lbId, String name) {
      return call(pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lbId)
          .setPool(PoolSpec.newBuilder().setName(name).setProtocol(Protocol.TCP)).build());
    }

    public Listener createListener(String lbId, int port, String poolId) {
      var spec = ListenerSpec.newBuilder().setProtocol(Protocol.TCP).setProtocolPort(port);
      if (poolId != null) spec.setDefaultPoolId(poolId);
      return call(listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lbId)
          .setListener(spec).build());
    }

    public Backend createBackend(String lbId, String poolId, String address, int port) {
      return call(backends().createBackend(), CreateBackendRequest.newBuilder().setLoadBalancerId(lbId)
          .setPoolId(poolId).setBackend(BackendSpec.newBuilder().setAddress(address).setProtocolPort(port)).build());
    }

    /** An HTTP listener (its pool, when given, must be an HTTP or PROXY pool). */
    public Listener createHttpListener(String lbId, int port, String poolId) {
      var spec = ListenerSpec.newBuilder().setProtocol(Protocol.HTTP).setProtocolPort(port);
      if (poolId != null) spec.setDefaultPoolId(poolId);
      return call(listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lbId)
          .setListener(spec).build());
    }

    public io.fiberlb.api.v1.L7Policy createL7Policy(String lbId, String listenerId,
        io.fiberlb.api.v1.L7PolicySpec.Builder spec) {
      return call(l7policies().createL7Policy(), io.fiberlb.api.v1.CreateL7PolicyRequest.newBuilder()
          .setLoadBalancerId(lbId).setListenerId(listenerId).setL7Policy(spec).build());
    }

    public io.fiberlb.api.v1.L7Rule createL7Rule(String lbId, String policyId,
        io.fiberlb.api.v1.L7RuleSpec.Builder spec) {
      return call(l7rules().createL7Rule(), io.fiberlb.api.v1.CreateL7RuleRequest.newBuilder()
          .setLoadBalancerId(lbId).setL7PolicyId(policyId).setL7Rule(spec).build());
    }

    /** A server certificate made through the Certificate API from {@code made}'s PEM chain and PKCS#8 key. */
    public io.fiberlb.api.v1.Certificate createCertificate(String name, CertKit.Made made) {
      return call(certificates().createCertificate(), io.fiberlb.api.v1.CreateCertificateRequest.newBuilder()
          .setName(name).setCertificatePem(com.google.protobuf.ByteString.copyFromUtf8(made.certPem()))
          .setPrivateKeyPem(com.google.protobuf.ByteString.copyFromUtf8(made.keyPem())).build());
    }

    public HealthCheck createHealthCheck(String lbId) {
      return call(healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder().setLoadBalancerId(lbId)
          .setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.TCP)).build());
    }
  }

  public static <T> T await(CompletionStage<T> f) {
    try {
      return f.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The gRPC status of a failed call, whichever exception type the client raised. */
  public static Status statusOf(Throwable t) {
    while (t != null) {
      if (t instanceof StatusRuntimeException s) return s.getStatus();
      if (t instanceof GrpcServiceException g) return g.status();
      t = t.getCause();
    }
    throw new AssertionError("not a gRPC failure");
  }
}
