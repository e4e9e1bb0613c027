package io.fiberlb;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.api.BackendServiceImpl;
import io.fiberlb.api.CertificateServiceImpl;
import io.fiberlb.api.v1.CertificateService;
import io.fiberlb.api.v1.CertificateServicePowerApiHandlerFactory;
import io.fiberlb.controlplane.certificate.CertificateEntity;
import io.fiberlb.api.ListenerCertificateUse;
import io.fiberlb.controlplane.certificate.Certificates;
import io.fiberlb.metrics.CertificateMetrics;
import io.fiberlb.api.v1.AuditService;
import io.fiberlb.api.v1.AuditServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.HistoryService;
import io.fiberlb.api.v1.HistoryServicePowerApiHandlerFactory;
import io.fiberlb.api.HistoryServiceImpl;
import io.fiberlb.api.AuditServiceImpl;
import io.fiberlb.audit.AuditSettings;
import io.fiberlb.api.ControlPlaneGateway;
import io.fiberlb.api.HealthCheckServiceImpl;
import io.fiberlb.api.Identity;
import io.fiberlb.api.ListenerServiceImpl;
import io.fiberlb.api.LoadBalancerServiceImpl;
import io.fiberlb.api.PoolServiceImpl;
import io.fiberlb.api.QuotaServiceImpl;
import io.fiberlb.api.RequestBodies;
import io.fiberlb.api.RequestErrors;
import io.fiberlb.api.security.ApiSecurity;
import io.fiberlb.api.standard.HealthServiceImpl;
import io.fiberlb.api.standard.Readiness;
import io.fiberlb.api.standard.ReflectionV1;
import io.grpc.health.v1.Health;
import io.grpc.health.v1.HealthHandlerFactory;
import io.fiberlb.api.ClusterServiceImpl;
import io.fiberlb.api.v1.ClusterService;
import io.fiberlb.api.v1.ClusterServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.BackendService;
import io.fiberlb.api.v1.BackendServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.HealthCheckService;
import io.fiberlb.api.v1.HealthCheckServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.ListenerService;
import io.fiberlb.api.v1.ListenerServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.LoadBalancerService;
import io.fiberlb.api.v1.LoadBalancerServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.PoolService;
import io.fiberlb.api.v1.PoolServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.QuotaService;
import io.fiberlb.api.v1.QuotaServicePowerApiHandlerFactory;
import io.fiberlb.cluster.ShardedDirectory;
import io.fiberlb.dataplane.DataPlane;
import io.fiberlb.dataplane.DataPlaneSettings;
import io.fiberlb.controlplane.ControlPlaneSettings;
import io.fiberlb.metrics.DataPlaneMetrics;
import io.fiberlb.metrics.GrpcMetrics;
import io.fiberlb.metrics.InfoMetrics;
import io.fiberlb.metrics.MetricsEndpoint;
import io.fiberlb.metrics.MetricsSettings;
import io.fiberlb.metrics.NodeMetrics;
import io.fiberlb.cluster.ClusterFormation;
import io.fiberlb.cluster.FailoverWatch;
import io.fiberlb.cluster.QuorumWatch;
import io.fiberlb.cluster.ShardPins;
import io.fiberlb.persistence.JournalHealth;
import io.fiberlb.persistence.Schema;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.grpc.ServiceDescription;
import org.apache.pekko.grpc.javadsl.ServerReflection;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.stream.SystemMaterializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a FiberLB node: the journal schema, the actor system, the cluster, sharding, the metrics endpoint and the
 * gRPC API. Tests start the real thing through {@link #start(Config)} exactly as {@link #runServerForever()} does.
 */
public final class FiberLb {
  private static final Logger log = LoggerFactory.getLogger(FiberLb.class);

  /**
   * A started node.
   *
   * @param dataPlane null when this node serves no listeners ({@code fiberlb.dataplane.enabled = false})
   * @param metrics the Prometheus endpoint, null when it is off ({@code fiberlb.metrics.enabled = false})
   */
  public record Node(ActorSystem<Void> system, ServerBinding grpc, ShardedDirectory directory, DataPlane dataPlane,
      MetricsEndpoint metrics, AutoCloseable schemaHold) {
    public int grpcPort() {
      return grpc.localAddress().getPort();
    }

    /** The port of {@code /metrics}; fails when the endpoint is off. */
    public int metricsPort() {
      if (metrics == null) throw new IllegalStateException("the metrics endpoint is off (fiberlb.metrics.enabled)");
      return metrics.port();
    }

    /** Unbinds the API, leaves the cluster and stops the actor system; waits until it has. */
    public void stop() {
      system.terminate();
      awaitTermination();
    }

    /** Waits until the actor system has terminated, then lets go of the schema's connection (H2 closes the file). */
    public void awaitTermination() {
      system.getWhenTerminated().toCompletableFuture().join();
      closeQuietly(schemaHold);
    }
  }

  private FiberLb() {}

  /** The configuration from application.conf, environment overrides, -Dconfig.file and system properties. */
  public static Config loadConfig() {
    return Schema.withDatabaseKind(withLogLevel(ConfigFactory.load()));
  }

  /**
   * FIBERLB_LOG_LEVEL feeds both Logback and Pekko; Logback says WARN where Pekko says WARNING (and TRACE, which
   * Pekko lacks, is its DEBUG), so one value works for both.
   */
  static Config withLogLevel(Config config) {
    String level = config.getString("pekko.loglevel").toUpperCase(java.util.Locale.ROOT);
    String pekko = switch (level) {
      case "WARN" -> "WARNING";
      case "TRACE", "ALL" -> "DEBUG";
      default -> level;
    };
    if (pekko.equals(config.getString("pekko.loglevel"))) return config;
    return ConfigFactory.parseMap(Map.of("pekko.loglevel", pekko)).withFallback(config);
  }

  public static Node start(Config loaded) {
    Config config = ClusterFormation.apply(loaded);
    ApiSecurity.check(config);
    AutoCloseable schemaHold = Schema.ensureAndHold(config);
    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(Behaviors.empty(), "fiberlb", config);
    } catch (RuntimeException e) {
      closeQuietly(schemaHold);
      throw e;
    }
    try {
      return init(system, schemaHold);
    } catch (RuntimeException e) {
      // A start that fails leaves nothing running: the journal's database is closed before the caller goes on.
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      closeQuietly(schemaHold);
      throw e;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      if (c != null) c.close();
    } catch (Exception e) {
      log.debug("closing the schema connection: {}", e.toString());
    }
  }

  /** Wires a node into an actor system that was created with FiberLB's configuration. */
  public static Node init(ActorSystem<Void> system) {
    return init(system, null);
  }

  /** @param schemaHold closed when the node has stopped (see {@link Schema#ensureAndHold}); null for none */
  static Node init(ActorSystem<Void> system, AutoCloseable schemaHold) {
    Config config = system.settings().config();
    ControlPlaneSettings settings = ControlPlaneSettings.fromConfig(config);
    Cluster cluster = Cluster.get(system);
    boolean bootstraps = ClusterFormation.bootstraps(config);
    if (!bootstraps && config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    var dataPlaneSettings = DataPlaneSettings.from(config.getConfig("fiberlb.dataplane"));
    DataPlane dataPlane = dataPlaneSettings.enabled() ? new DataPlane(system, dataPlaneSettings) : null;
    if (dataPlane != null) QuorumWatch.start(system, config.getInt("fiberlb.cluster.size"), dataPlane.gate()::set);
    ShardPins.get(system); // lb failover's placement wishes, read by the shard coordinator wherever it runs
    ShardedDirectory directory = ShardedDirectory.init(system, settings, dataPlane);
    // Certificate keys live sealed in their own table (never in the journal); a node without a usable KEK stops here.
    Certificates certificates = Certificates.get(system);
    CertificateEntity.init(system, certificates.store(), settings.snapshotEvery());
    io.fiberlb.dataplane.tls.TlsTerminations terminations = null;
    io.fiberlb.dataplane.tls.ListenerTls listenerTls = null;
    if (dataPlane != null) {
      // TERMINATED_HTTPS listeners read their certificates from the key store (never from published configuration).
      terminations = io.fiberlb.dataplane.tls.TlsTerminations.from(config.getConfig("fiberlb.dataplane"),
          certificates.store());
      certificates.store().onChange(terminations::certificateChanged);
      system.getWhenTerminated().thenRun(terminations::close);
      listenerTls = new io.fiberlb.dataplane.tls.ListenerTls(terminations);
      dataPlane.tlsTerminations(listenerTls::of);
    }
    // A rotation or delete through this node reaches the other nodes' TLS listeners at once (cluster pub-sub).
    var certificateChanges = io.fiberlb.cluster.CertificateChanges.start(system,
        terminations == null ? null : terminations::certificateChanged);
    certificates.store().onChange(certificateChanges::publish);
    if (config.getBoolean("fiberlb.management.enabled")) {
      // /alive, /ready and /cluster/members for orchestrators and operators; the contact point for bootstrap.
      PekkoManagement.get(system).start().toCompletableFuture().join();
    }
    if (bootstraps) ClusterBootstrap.get(system).start();

    NodeMetrics metrics = NodeMetrics.get(system);
    if (dataPlane != null) {
      DataPlaneMetrics.register(metrics.registry(), dataPlane.stats());
      io.fiberlb.metrics.HttpMetrics.register(metrics.registry(), dataPlane.stats());
      InfoMetrics.register(metrics.registry(), dataPlane.stats());
      io.fiberlb.metrics.TlsMetrics.register(metrics.registry(), dataPlane.stats(), listenerTls.handshakeFailures());
    }
    CertificateMetrics.register(metrics.registry(), certificates.store());
    MetricsEndpoint metricsEndpoint = startMetrics(system, config);

    ApiSecurity security = ApiSecurity.from(config);
    var identity = new Identity(config.getString("fiberlb.identity.default-org"),
        config.getString("fiberlb.identity.default-project"));
    JournalHealth journalHealth = JournalHealth.start(config);
    system.getWhenTerminated().thenRun(journalHealth::close);
    var failover = config.getInt("fiberlb.cluster.size") > 1
        ? new FailoverWatch(system) : null;
    var gw = new ControlPlaneGateway(system, config.getDuration("fiberlb.grpc.ask-timeout"), identity, journalHealth,
        failover);
    List<ServiceDescription> served = List.of(LoadBalancerService.description, ListenerService.description,
        PoolService.description, BackendService.description, HealthCheckService.description,
        io.fiberlb.api.v1.L7PolicyService.description, io.fiberlb.api.v1.L7RuleService.description,
        AuditService.description, HistoryService.description, ClusterService.description, QuotaService.description,
        CertificateService.description, Health.description);
    var audit = new AuditServiceImpl(system, gw, AuditSettings.from(config.getConfig("fiberlb.audit")));
    var mat = SystemMaterializer.get(system).materializer();
    var eh = RequestErrors.mapper(); // bodies that do not parse: INVALID_ARGUMENT, not INTERNAL
    @SuppressWarnings("unchecked")
    Function<HttpRequest, CompletionStage<HttpResponse>> services = ServiceHandler.concatOrNotFound(
        LoadBalancerServicePowerApiHandlerFactory.partial(new LoadBalancerServiceImpl(gw), LoadBalancerService.name, mat, eh, system),
        ListenerServicePowerApiHandlerFactory.partial(new ListenerServiceImpl(gw, new io.fiberlb.controlplane.certificate.StoredCertificateRefs(
            certificates.store(), system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()),
            java.time.Clock.systemUTC())), ListenerService.name, mat, eh, system),
        PoolServicePowerApiHandlerFactory.partial(new PoolServiceImpl(gw), PoolService.name, mat, eh, system),
        BackendServicePowerApiHandlerFactory.partial(new BackendServiceImpl(gw), BackendService.name, mat, eh, system),
        HealthCheckServicePowerApiHandlerFactory.partial(new HealthCheckServiceImpl(gw), HealthCheckService.name, mat, eh, system),
        io.fiberlb.api.v1.L7PolicyServicePowerApiHandlerFactory.partial(new io.fiberlb.api.L7PolicyServiceImpl(gw),
            io.fiberlb.api.v1.L7PolicyService.name, mat, eh, system),
        io.fiberlb.api.v1.L7RuleServicePowerApiHandlerFactory.partial(new io.fiberlb.api.L7RuleServiceImpl(gw),
            io.fiberlb.api.v1.L7RuleService.name, mat, eh, system),
        AuditServicePowerApiHandlerFactory.partial(audit, AuditService.name, mat, eh, system),
        HistoryServicePowerApiHandlerFactory.partial(new HistoryServiceImpl(gw, audit.pastStates()), HistoryService.name,
            mat, eh, system),
        ClusterServicePowerApiHandlerFactory.partial(new ClusterServiceImpl(system, gw), ClusterService.name, mat, eh, system),
        QuotaServicePowerApiHandlerFactory.partial(new QuotaServiceImpl(gw), QuotaService.name, mat, eh, system),
        CertificateServicePowerApiHandlerFactory.partial(new CertificateServiceImpl(system, gw,
            config.getDuration("fiberlb.grpc.ask-timeout"), new ListenerCertificateUse(gw)), CertificateService.name, mat,
            eh, system),
        HealthHandlerFactory.partial(new HealthServiceImpl(new Readiness(system, Duration.ofSeconds(1)),
            served.stream().map(ServiceDescription::name).collect(Collectors.toSet())), Health.name, system),
        ServerReflection.create(served, system));

    String host = config.getString("fiberlb.grpc.host");
    int port = config.getInt("fiberlb.grpc.port");
    ServerBinding binding;
    try {
      var server = Http.get(system).newServerAt(host, port);
      // Outside in: the peer header, metrics, the guard (who is calling, may they), reflection's v1 alias, then the
      // request bodies' limits and frames (only authenticated callers' bodies are read), then the services.
      binding = security.https().map(server::enableHttps).orElse(server)
          .bind(withPeer(new GrpcMetrics(metrics, served).around(security.guard().around(ReflectionV1.alias(
              exportCompression(RequestBodies.limited(services, config, system),
                  config.getBoolean("fiberlb.audit.compress-export")))))))
          .toCompletableFuture().join();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot bind the gRPC API to " + host + ":" + port + " ("
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage())
          + "); set FIBERLB_GRPC_PORT to a free port", e);
    }
    binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
    int bound = binding.localAddress().getPort();
    writePortFile(config, "grpc.port", bound);
    log.info("FiberLB gRPC API listening on {}:{} ({}, {}; VIP range {}, journal {})", host, bound,
        security.https().isPresent() ? "TLS" : "plaintext",
        security.guard().local() ? "local mode: header identities" : "verified identities", settings.vipRange(),
        Schema.redact(config.getString("fiberlb.database.url")));
    return new Node(system, binding, directory, dataPlane, metricsEndpoint, schemaHold);
  }

  /** Prometheus {@code /metrics}, started before the gRPC API so that it is up once grpc.port is written. */
  private static MetricsEndpoint startMetrics(ActorSystem<Void> system, Config config) {
    MetricsSettings settings = MetricsSettings.from(config.getConfig("fiberlb.metrics"));
    if (!settings.enabled()) return null;
    MetricsEndpoint endpoint = MetricsEndpoint.start(system, settings, ApiSecurity.metricsProtection(config));
    writePortFile(config, "metrics.port", endpoint.port());
    log.info("FiberLB metrics on {}://{}:{}/metrics", config.getBoolean("fiberlb.metrics.tls") ? "https" : "http",
        settings.host(), endpoint.port());
    return endpoint;
  }

  /** The server puts the caller's address in a header of its own, replacing whatever a client sent in it. */
  private static Function<HttpRequest, CompletionStage<HttpResponse>> withPeer(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return req -> {
      String peer = req.getAttribute(AttributeKeys.remoteAddress)
          .flatMap(a -> a.getAddress().map(ia -> ia.getHostAddress() + ":" + a.getPort())).orElse("");
      HttpRequest clean = req.removeHeader(Identity.PEER);
      return handler.apply(peer.isEmpty() ? clean : clean.addHeader(RawHeader.create(Identity.PEER, peer)));
    };
  }

  /** The gRPC path of {@code AuditService.ExportEvents}. */
  static final String EXPORT_PATH = "/" + AuditService.name + "/ExportEvents";

  /**
   * pekko-grpc answers gzip-compressed whenever the client accepts gzip, and every grpc-java client does. For an
   * export, which sends about 1 GB of JSON per million events, gzip took more CPU than everything else together
   * (about 20 us an event, on the server, plus the client's inflating) and capped it at about 30,000 events/s
   * (docs/benchmarks.md, "Audit"). Unless {@code fiberlb.audit.compress-export} is on (for slow links), the export
   * is asked for as if the client accepted no compression: pekko-grpc then answers uncompressed.
   */
  static Function<HttpRequest, CompletionStage<HttpResponse>> exportCompression(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, boolean compress) {
    if (compress) return handler;
    return req -> handler.apply(req.getUri().path().equals(EXPORT_PATH)
        ? req.removeHeader("grpc-accept-encoding") : req);
  }

  private static void writePortFile(Config config, String name, int port) {
    if (!config.getString("fiberlb.database.kind").equals("h2")) return;
    try {
      Files.writeString(Path.of(config.getString("fiberlb.data-dir"), name), port + "\n");
    } catch (Exception e) {
      log.warn("could not write {}: {}", name, e.getMessage());
    }
  }

  /**
   * {@code fiberlb server}: start and run until the process is told to stop. Ctrl-C and SIGTERM run Pekko's
   * coordinated shutdown through its own JVM shutdown hook (the node leaves the cluster and hands its load
   * balancers over). Returns the exit code: 1 when the cluster downed this node or it could not join the cluster
   * it was joining, so a supervisor restarts it.
   */
  public static int runServerForever() {
    Node node = start(loadConfig());
    node.awaitTermination();
    var reason = CoordinatedShutdown.get(node.system()).getShutdownReason();
    boolean downed = reason.map(r -> r instanceof CoordinatedShutdown.ClusterDowningReason$).orElse(false);
    boolean notJoined = reason.map(r -> r instanceof CoordinatedShutdown.ClusterJoinUnsuccessfulReason$).orElse(false);
    if (downed) log.error("this node was removed from the cluster (downed); exiting with status 1");
    if (notJoined) {
      log.error("this node could not join the cluster it was told to join within {} (that cluster went away?);"
          + " exiting with status 1 so that its supervisor starts it again",
          node.system().settings().config().getString("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes"));
    }
    return downed || notJoined ? 1 : 0;
  }
}
