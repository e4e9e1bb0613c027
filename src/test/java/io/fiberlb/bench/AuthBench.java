package io.fiberlb.bench;

import static io.fiberlb.bench.BenchSupport.fmt;
import static io.fiberlb.bench.BenchSupport.median;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.Role;
import io.fiberlb.api.security.TlsFiles;
import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendServiceClient;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerServiceClient;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerServiceClient;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolServiceClient;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.bench.BenchSupport.Args;
import io.fiberlb.bench.BenchSupport.Phase;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcChannel;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;

/**
 * The cost of TLS and authentication on the API (issue 10): the same Get and Create load against several servers
 * that differ only in how callers reach them and prove who they are, interleaved in one run so that the machine's
 * load falls on all of them alike.
 *
 * <pre>
 * # 1. credentials for the servers and the generator (a JWT signing key, its JWKS, an API token and its line)
 * java -cp ... io.fiberlb.bench.AuthBench keys --dir D [--alg RS256|ES256] [--org bench] [--project bench-p0]
 * # 2. the load, against servers already started (bench/auth-cost.sh starts them)
 * java -cp ... io.fiberlb.bench.AuthBench run --dir D --ca ca.pem \
 *     --targets plain@PORT@PID@none,tls@PORT@PID@none,tls-token@PORT@PID@token,tls-jwt@PORT@PID@jwt,... \
 *     [--gets 20000] [--creates 1000] [--connects 200] [--concurrency 64] [--connections 2] [--lbs 50] \
 *     [--runs 3] [--warmup-runs 1] [--client grpc-java|pekko] [--fresh-gets 10000] [--out results.tsv]
 * </pre>
 *
 * A target is {@code name@port@pid@auth}; a name starting with {@code tls} is reached over TLS trusting {@code --ca}.
 * auth: {@code none} (local mode: the x-fiberlb-org/-project headers), {@code token} (the API token of
 * {@code D/api-token}), {@code jwt} (one JWT, signed once and sent with every call: after the first call the
 * server's verification cache answers), {@code jwt-fresh} (a new JWT for every call, signed before the phase
 * starts: every call pays the full parse and signature check). Every call carries the tenant headers too, so the
 * requests differ only in the authorization header.
 *
 * <p>Per run and target, in turn: {@code get-lb} (GetLoadBalancer of random working-set LBs), {@code
 * backend-create} (CreateBackend, round-robin over the working set's pools) and {@code connect} (a new HTTP/2
 * connection, one GetLoadBalancer, close: the handshake that the other phases amortise). The order of the targets
 * rotates from run to run. The summary gives the medians over the runs and the ratios to the first target; server
 * CPU per call also without the JIT compiler threads, which on two cores keep compiling long after the warm-up.
 */
public final class AuthBench {
  static final String HEADER = String.join("\t", "target", "run", "op", "concurrency", "connections/client", "count",
      "errors", "seconds", "ops_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "server_cpu_us_per_op",
      "server_cpu_us_per_op_without_jit", "client_cpu_us_per_op", "server_cores", "client_cores", "other_cores",
      "loadavg", "server_cpu_ms_by_thread");

  static final String ISSUER = "https://id.bench.example/realms/fiberlb";
  static final String AUDIENCE = "fiberlb";

  // ------------------------------------------------------------------ keys

  /** Writes jwks.json (public), jwk-private.json, api-token (the token) and tokens (the server's tokens file). */
  static void keys(Args a) throws Exception {
    Path dir = Path.of(a.required("dir"));
    Files.createDirectories(dir);
    String alg = a.str("alg", "RS256");
    JWK key = switch (alg) {
      case "RS256" -> new RSAKeyGenerator(a.integer("rsa-bits", 2048)).keyID("bench-" + alg).generate();
      case "ES256" -> new ECKeyGenerator(Curve.P_256).keyID("bench-" + alg).generate();
      default -> throw new IllegalArgumentException("--alg RS256 or ES256");
    };
    Files.writeString(dir.resolve("jwks.json"), new JWKSet(key.toPublicJWK()).toString());
    Files.writeString(dir.resolve("jwk-private.json"), key.toJSONString());
    String org = a.str("org", "bench");
    String project = a.str("project", "bench-p0");
    String token = ApiTokens.newToken();
    Files.writeString(dir.resolve("api-token"), token + "\n");
    Files.writeString(dir.resolve("tokens"), "# AuthBench\n"
        + ApiTokens.line(token, org, project, Set.of(Role.MEMBER), "bench") + "\n");
    Files.writeString(dir.resolve("identity"), org + " " + project + "\n");
    System.out.println("keys: " + alg + " JWK, JWKS, API token in " + dir);
  }

  /** Signs JWTs for the bench principal: member of the bench project. */
  static final class Jwts {
    private final JWK key;
    private final JWSSigner signer;
    private final JWSAlgorithm alg;
    private final String org;
    private final String project;

    Jwts(Path dir) throws Exception {
      key = JWK.parse(Files.readString(dir.resolve("jwk-private.json")));
      if (key instanceof RSAKey rsa) {
        signer = new RSASSASigner(rsa);
        alg = JWSAlgorithm.RS256;
      } else if (key instanceof ECKey ec) {
        signer = new ECDSASigner(ec);
        alg = JWSAlgorithm.ES256;
      } else {
        throw new IllegalArgumentException("unsupported key " + key.getKeyType());
      }
      String[] id = Files.readString(dir.resolve("identity")).trim().split(" ");
      org = id[0];
      project = id[1];
    }

    /** A token like an OIDC provider's access token: iss, aud, sub, iat, exp (1 h), jti, org, project, roles. */
    String sign() {
      Instant now = Instant.now();
      var claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("bench")
          .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1))))
          .jwtID(UUID.randomUUID().toString()).claim("org", org).claim("project", project)
          .claim("roles", List.of("member")).build();
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).build(), claims);
      try {
        jwt.sign(signer);
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
      return jwt.serialize();
    }
  }

  // ------------------------------------------------------------------ targets and their credentials

  /** Where the bearer token of each call comes from. */
  interface Bearer {
    /** The token for the next call, or null for none. */
    String next();

    /** Called before a measured phase of {@code calls} calls: a fresh-token source signs them now. */
    default void prepare(int calls) {}

    static Bearer none() {
      return () -> null;
    }

    static Bearer fixed(String token) {
      return () -> token;
    }
  }

  /** A new JWT for every call, signed ahead of the phase so that signing is not measured. */
  static final class FreshJwts implements Bearer {
    private final Jwts jwts;
    private volatile String[] pool = new String[0];
    private final AtomicInteger next = new AtomicInteger();

    FreshJwts(Jwts jwts) {
      this.jwts = jwts;
    }

    @Override
    public void prepare(int calls) {
      String[] p = new String[calls];
      for (int i = 0; i < calls; i++) p[i] = jwts.sign();
      pool = p;
      next.set(0);
    }

    @Override
    public String next() {
      String[] p = pool;
      int i = next.getAndIncrement();
      return i < p.length ? p[i] : jwts.sign();
    }
  }

  record Target(String name, int port, long pid, boolean tls, String auth, Bearer bearer) {}

  // ------------------------------------------------------------------ clients

  /** The calls the benchmark makes, each with the tenant headers and the target's bearer token. */
  interface Api {
    CompletionStage<LoadBalancer> createLb(int i, CreateLoadBalancerRequest r);

    CompletionStage<Pool> createPool(int i, CreatePoolRequest r);

    CompletionStage<Listener> createListener(int i, CreateListenerRequest r);

    CompletionStage<Backend> createBackend(int i, CreateBackendRequest r);

    CompletionStage<LoadBalancer> getLb(int i, GetLoadBalancerRequest r);

    /** Closes the connections without waiting (callable from a transport thread). */
    void release();

    /** The negotiated TLS protocol and cipher suite of a probe call, or "plaintext". */
    String describeTransport();

    void close();
  }

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> ORG = Metadata.Key.of("x-fiberlb-org", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> PROJECT = Metadata.Key.of("x-fiberlb-project", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> USER = Metadata.Key.of("x-fiberlb-user", Metadata.ASCII_STRING_MARSHALLER);

  /** grpc-java alone (the lighter client), plaintext or TLS trusting the bench CA. */
  static final class GrpcJavaApi implements Api {
    static final MethodDescriptor<CreateLoadBalancerRequest, LoadBalancer> CREATE_LB =
        ControlPlaneBench.GrpcJavaApi.CREATE_LB;
    static final MethodDescriptor<GetLoadBalancerRequest, LoadBalancer> GET_LB = ControlPlaneBench.GrpcJavaApi.GET_LB;
    static final MethodDescriptor<CreatePoolRequest, Pool> CREATE_POOL = ControlPlaneBench.GrpcJavaApi.CREATE_POOL;
    static final MethodDescriptor<CreateListenerRequest, Listener> CREATE_LISTENER =
        ControlPlaneBench.GrpcJavaApi.CREATE_LISTENER;
    static final MethodDescriptor<CreateBackendRequest, Backend> CREATE_BACKEND =
        ControlPlaneBench.GrpcJavaApi.CREATE_BACKEND;

    private final ManagedChannel[] channels;
    private final Target target;
    private final String project;
    private final Metadata proto = new Metadata();

    GrpcJavaApi(Target target, Path ca, String org, String project, int n) {
      this.target = target;
      this.project = project;
      proto.put(ORG, org);
      proto.put(PROJECT, project);
      proto.put(USER, "bench");
      channels = new ManagedChannel[n];
      for (int i = 0; i < n; i++) channels[i] = channel(target, ca);
    }

    static ManagedChannel channel(Target target, Path ca) {
      ChannelCredentials creds;
      try {
        creds = target.tls() ? TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build()
            : InsecureChannelCredentials.create();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + ca, e);
      }
      return NettyChannelBuilder.forAddress("127.0.0.1", target.port(), creds).directExecutor()
          .flowControlWindow(1 << 20).build();
    }

    private ManagedChannel c(int i) {
      return channels[i % channels.length];
    }

    <Req, Res> CompletableFuture<Res> call(ManagedChannel ch, MethodDescriptor<Req, Res> m, Req req) {
      return call(ch, m, req, null);
    }

    /** One unary call; {@code session} (if not null) gets the TLS session of the call's transport. */
    <Req, Res> CompletableFuture<Res> call(ManagedChannel ch, MethodDescriptor<Req, Res> m, Req req,
        CompletableFuture<SSLSession> session) {
      Metadata headers = new Metadata();
      headers.merge(proto);
      String token = target.bearer().next();
      if (token != null) headers.put(AUTHORIZATION, "Bearer " + token);
      var result = new CompletableFuture<Res>();
      ClientCall<Req, Res> call = ch.newCall(m, CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        private Res value;

        @Override
        public void onHeaders(Metadata h) {
          if (session != null) session.complete(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        }

        @Override
        public void onMessage(Res message) {
          value = message;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          if (session != null) session.complete(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
          if (status.isOk() && value != null) {
            result.complete(value);
          } else if (status.isOk()) {
            result.completeExceptionally(Status.INTERNAL.withDescription("no response").asRuntimeException());
          } else {
            result.completeExceptionally(status.asRuntimeException(trailers));
          }
        }
      }, headers);
      call.request(1);
      call.sendMessage(req);
      call.halfClose();
      return result;
    }

    @Override
    public CompletionStage<LoadBalancer> createLb(int i, CreateLoadBalancerRequest r) {
      return call(c(i), CREATE_LB, r);
    }

    @Override
    public CompletionStage<Pool> createPool(int i, CreatePoolRequest r) {
      return call(c(i), CREATE_POOL, r);
    }

    @Override
    public CompletionStage<Listener> createListener(int i, CreateListenerRequest r) {
      return call(c(i), CREATE_LISTENER, r);
    }

    @Override
    public CompletionStage<Backend> createBackend(int i, CreateBackendRequest r) {
      return call(c(i), CREATE_BACKEND, r);
    }

    @Override
    public CompletionStage<LoadBalancer> getLb(int i, GetLoadBalancerRequest r) {
      return call(c(i), GET_LB, r);
    }

    @Override
    public String describeTransport() {
      if (!target.tls()) return "plaintext";
      var session = new CompletableFuture<SSLSession>();
      BenchSupport.await(call(c(0), GET_LB, GetLoadBalancerRequest.newBuilder().setId(UUID.randomUUID().toString())
          .build(), session).handle((r, e) -> null));
      SSLSession s = session.getNow(null);
      return s == null ? "TLS (session unknown)" : s.getProtocol() + " " + s.getCipherSuite() + " (client: "
          + (io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl.isAvailable() ? "netty-tcnative BoringSSL" : "JDK")
          + ")";
    }

    @Override
    public void release() {
      for (ManagedChannel c : channels) c.shutdown();
    }

    @Override
    public void close() {
      for (ManagedChannel c : channels) RawGrpc.shutdown(c);
    }
  }

  /** One pekko-grpc HTTP/2 connection with the clients of the services the benchmark uses. */
  static final class PConn {
    final GrpcChannel channel;
    final LoadBalancerServiceClient lbs;
    final PoolServiceClient pools;
    final ListenerServiceClient listeners;
    final BackendServiceClient backends;

    PConn(ActorSystem<?> system, GrpcClientSettings settings) {
      channel = GrpcChannel.apply(settings, system);
      lbs = LoadBalancerServiceClient.create(channel, system);
      pools = PoolServiceClient.create(channel, system);
      listeners = ListenerServiceClient.create(channel, system);
      backends = BackendServiceClient.create(channel, system);
    }
  }

  /** pekko-grpc's generated clients (what the CLI uses); TLS with the CLI's client context. */
  static final class PekkoApi implements Api {
    private final PConn[] conns;
    private final Target target;
    private final String org;
    private final String project;

    PekkoApi(ActorSystem<?> system, Target target, Path ca, String org, String project, int n) {
      this.target = target;
      this.org = org;
      this.project = project;
      conns = new PConn[n];
      for (int i = 0; i < n; i++) {
        GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", target.port(), system)
            .withTls(target.tls());
        if (target.tls()) settings = settings.withSslContext(TlsFiles.clientContext(ca, null, null));
        conns[i] = new PConn(system, settings);
      }
    }

    private PConn c(int i) {
      return conns[i % conns.length];
    }

    private <Req, Res> SingleResponseRequestBuilder<Req, Res> as(SingleResponseRequestBuilder<Req, Res> b) {
      b = b.addHeader("x-fiberlb-org", org).addHeader("x-fiberlb-project", project)
          .addHeader("x-fiberlb-user", "bench");
      String token = target.bearer().next();
      return token == null ? b : b.addHeader("authorization", "Bearer " + token);
    }

    @Override
    public CompletionStage<LoadBalancer> createLb(int i, CreateLoadBalancerRequest r) {
      return as(c(i).lbs.createLoadBalancer()).invoke(r);
    }

    @Override
    public CompletionStage<Pool> createPool(int i, CreatePoolRequest r) {
      return as(c(i).pools.createPool()).invoke(r);
    }

    @Override
    public CompletionStage<Listener> createListener(int i, CreateListenerRequest r) {
      return as(c(i).listeners.createListener()).invoke(r);
    }

    @Override
    public CompletionStage<Backend> createBackend(int i, CreateBackendRequest r) {
      return as(c(i).backends.createBackend()).invoke(r);
    }

    @Override
    public CompletionStage<LoadBalancer> getLb(int i, GetLoadBalancerRequest r) {
      return as(c(i).lbs.getLoadBalancer()).invoke(r);
    }

    @Override
    public String describeTransport() {
      return target.tls() ? "TLS (pekko-grpc client, JDK SSLContext)" : "plaintext";
    }

    @Override
    public void release() {
      for (PConn c : conns) c.channel.closeCS();
    }

    @Override
    public void close() {
      for (PConn c : conns) {
        try {
          c.channel.closeCS().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // going away anyway
        }
      }
    }
  }

  // ------------------------------------------------------------------ one target's workload

  /** The working set and the phases against one server. */
  static final class Load {
    final Target target;
    final Api api;
    final int lbs;
    final int concurrency;
    final String[] lbIds;
    final String[] poolIds;
    final String prefix = Long.toString(System.currentTimeMillis() % 2_176_782_336L, 36);
    long addressSeq = 0;

    Load(Target target, Function<Target, Api> newApi, int lbs, int concurrency) {
      this.target = target;
      this.api = newApi.apply(target);
      this.lbs = lbs;
      this.concurrency = concurrency;
      lbIds = new String[lbs];
      poolIds = new String[lbs];
    }

    void setup() {
      check(BenchSupport.drive("setup-lb", lbs, concurrency, target.pid(), i -> api.createLb(i,
              CreateLoadBalancerRequest.newBuilder()
                  .setLoadBalancer(LoadBalancerSpec.newBuilder().setName(prefix + "-ws-" + i)).build())
          .thenAcceptAsync(r -> lbIds[i] = r.getId(), BenchSupport.DIRECT)));
      check(BenchSupport.drive("setup-pool", lbs, concurrency, target.pid(), i -> api.createPool(i,
              CreatePoolRequest.newBuilder().setLoadBalancerId(lbIds[i]).setPool(PoolSpec.newBuilder()
                  .setName("pool").setProtocol(Protocol.TCP).setLbAlgorithm(LbAlgorithm.ROUND_ROBIN)).build())
          .thenAcceptAsync((Pool r) -> poolIds[i] = r.getId(), BenchSupport.DIRECT)));
      check(BenchSupport.drive("setup-listener", lbs, concurrency, target.pid(), i -> api.createListener(i,
          CreateListenerRequest.newBuilder().setLoadBalancerId(lbIds[i]).setListener(ListenerSpec.newBuilder()
              .setName("http").setProtocol(Protocol.TCP).setProtocolPort(80).setDefaultPoolId(poolIds[i])).build())));
    }

    Phase gets(int n) {
      target.bearer().prepare(n);
      return BenchSupport.drive("get-lb", n, concurrency, target.pid(), i -> {
        int lb = ThreadLocalRandom.current().nextInt(lbs);
        return api.getLb(i, GetLoadBalancerRequest.newBuilder().setId(lbIds[lb]).build());
      });
    }

    Phase creates(int n) {
      long base = addressSeq;
      addressSeq += n;
      target.bearer().prepare(n);
      return BenchSupport.drive("backend-create", n, concurrency, target.pid(), i -> {
        int lb = i % lbs;
        long a = base + i + 1;
        String address = "10." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255);
        return api.createBackend(i, CreateBackendRequest.newBuilder().setLoadBalancerId(lbIds[lb])
            .setPoolId(poolIds[lb]).setBackend(BackendSpec.newBuilder().setAddress(address).setProtocolPort(8080))
            .build());
      });
    }
  }

  private static void check(Phase p) {
    if (p.errors > 0) throw new IllegalStateException(p.op + ": " + p.errors + " errors, first: " + p.firstError);
  }

  // ------------------------------------------------------------------ main

  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    String cmd = a.words.isEmpty() ? "run" : a.words.get(0);
    if (cmd.equals("keys")) {
      keys(a);
      return;
    }
    System.exit(run(a));
  }

  static int run(Args a) throws Exception {
    Path dir = Path.of(a.required("dir"));
    Path ca = Path.of(a.str("ca", dir.resolve("ca.pem").toString()));
    int gets = a.integer("gets", 20000);
    int creates = a.integer("creates", 1000);
    int connects = a.integer("connects", 200);
    // jwt-fresh signs one RS256 token per Get before the phase (~1 ms each here): fewer Gets keep that short.
    int freshGets = a.integer("fresh-gets", 10000);
    int concurrency = a.integer("concurrency", 64);
    int connections = a.integer("connections", 2);
    int lbs = a.integer("lbs", 50);
    int runs = a.integer("runs", 3);
    int warmups = a.integer("warmup-runs", 1);
    String client = a.str("client", "grpc-java");
    String out = a.str("out", "");
    List<String> phases = List.of(a.str("phases", "get-lb,backend-create,connect").split(","));
    String[] id = Files.readString(dir.resolve("identity")).trim().split(" ");
    String org = id[0];
    String project = id[1];
    String apiToken = Files.readString(dir.resolve("api-token")).trim();
    Jwts jwts = new Jwts(dir);

    List<Target> targets = new ArrayList<>();
    for (String spec : a.required("targets").split(",")) {
      String[] f = spec.split("@");
      if (f.length != 4) throw new IllegalArgumentException("target " + spec + ": expected name@port@pid@auth");
      Bearer bearer = switch (f[3]) {
        case "none" -> Bearer.none();
        case "token" -> Bearer.fixed(apiToken);
        case "jwt" -> Bearer.fixed(jwts.sign());
        case "jwt-fresh" -> new FreshJwts(jwts);
        default -> throw new IllegalArgumentException("auth " + f[3] + ": none, token, jwt or jwt-fresh");
      };
      targets.add(new Target(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), f[0].startsWith("tls"), f[3],
          bearer));
    }

    ActorSystem<Void> system = BenchSupport.clientSystem("auth-bench");
    int exit = 0;
    try {
      Map<String, Load> loads = new LinkedHashMap<>();
      Map<String, Function<Target, Api>> oneConn = new LinkedHashMap<>();
      for (Target t : targets) {
        Function<Target, Api> multi = client.equals("pekko")
            ? x -> new PekkoApi(system, x, ca, org, project, connections)
            : x -> new GrpcJavaApi(x, ca, org, project, connections);
        Function<Target, Api> single = client.equals("pekko")
            ? x -> new PekkoApi(system, x, ca, org, project, 1)
            : x -> new GrpcJavaApi(x, ca, org, project, 1);
        oneConn.put(t.name(), single);
        Load load = new Load(t, multi, lbs, concurrency);
        loads.put(t.name(), load);
      }
      String jwtSample = jwts.sign();
      System.out.printf(Locale.ROOT, "auth-cost: %d targets, %s client, concurrency %d over %d connection(s), %d "
              + "working-set LBs in project %s/%s; per run and target: %d gets, %d backend creates, %d connects; "
              + "%d warm-up + %d measured runs; jwt-fresh: at most %d gets; JWT %d bytes (%s)%n", targets.size(),
          client, concurrency, connections, lbs, org, project, gets, creates, connects, warmups, runs, freshGets,
          jwtSample.length(),
          jwtSample.substring(0, jwtSample.indexOf('.')));
      for (Load l : loads.values()) {
        l.setup();
        System.out.printf(Locale.ROOT, "setup %-14s port %d pid %d auth %-9s transport %s%n", l.target.name(),
            l.target.port(), l.target.pid(), l.target.auth(), l.api.describeTransport());
      }

      Map<String, Map<String, List<Phase>>> byTarget = new LinkedHashMap<>();
      List<String> lines = new ArrayList<>();
      List<Load> order = new ArrayList<>(loads.values());
      for (int r = -warmups + 1; r <= runs; r++) {
        boolean warm = r <= 0;
        // Rotate the order so that no target always runs first (after a pause) or last.
        int shift = Math.floorMod(r, order.size());
        for (int k = 0; k < order.size(); k++) {
          Load l = order.get((k + shift) % order.size());
          List<Phase> done = new ArrayList<>();
          if (phases.contains("get-lb")) {
            done.add(l.gets(l.target.auth().equals("jwt-fresh") ? Math.min(gets, freshGets) : gets));
          }
          if (phases.contains("backend-create")) done.add(l.creates(creates));
          if (phases.contains("connect") && connects > 0) {
            done.add(connectPhase(l, oneConn.get(l.target.name()), connects));
          }
          double load = BenchSupport.loadAverage();
          for (Phase p : done) {
            printPhase(warm ? "warm-up" : "run " + r, l.target.name(), p);
            if (!warm) {
              byTarget.computeIfAbsent(l.target.name(), x -> new LinkedHashMap<>())
                  .computeIfAbsent(p.op, x -> new ArrayList<>()).add(p);
              lines.add(String.join("\t", l.target.name(), String.valueOf(r), p.op,
                  String.valueOf(p.op.equals("connect") ? Math.min(4, concurrency) : concurrency),
                  (p.op.equals("connect") ? 1 : connections) + "/" + client, String.valueOf(p.count),
                  String.valueOf(p.errors), f3(p.seconds), f3(p.rate()), f3(p.pct(50)), f3(p.pct(90)),
                  f3(p.pct(99)), f3(p.pct(100)), f3(p.serverCpuUsPerOp()), f3(serverCpuNoJitUsPerOp(p)),
                  f3(p.clientCpuUsPerOp()),
                  f3(p.serverCores()), f3(p.clientCores()), f3(p.otherCores()), f3(load), p.serverThreads));
            }
          }
        }
      }
      BenchSupport.append(out.isEmpty() ? null : Path.of(out), HEADER, lines);
      printSummary(targets, byTarget, runs, client, concurrency, connections);
      for (var m : byTarget.values()) for (var ps : m.values()) for (Phase p : ps) if (p.errors > 0) exit = 2;
      for (Load l : loads.values()) l.api.close();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
    return exit;
  }

  /** {@code n} times: a new connection, one GetLoadBalancer on it, close; 4 in flight. */
  private static Phase connectPhase(Load l, Function<Target, Api> single, int n) {
    l.target.bearer().prepare(n);
    return BenchSupport.drive("connect", n, Math.min(4, l.concurrency), l.target.pid(), i -> {
      Api fresh = single.apply(l.target);
      int lb = ThreadLocalRandom.current().nextInt(l.lbs);
      return fresh.getLb(0, GetLoadBalancerRequest.newBuilder().setId(l.lbIds[lb]).build())
          .whenCompleteAsync((r, e) -> fresh.release(), BenchSupport.DIRECT);
    });
  }

  static String f3(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static void printPhase(String run, String target, Phase p) {
    System.out.printf(Locale.ROOT, "%-8s %-14s %-15s %7d ops %6.2f s %9s ops/s  p50 %7s ms  p99 %7s ms  max %7s ms"
            + "  server %6s us/op (%s without JIT)  client %6s us/op  cores server/client/other %s/%s/%s%s%n",
        run, target, p.op, p.count, p.seconds, fmt(p.rate()), fmt(p.pct(50)), fmt(p.pct(99)), fmt(p.pct(100)),
        fmt(p.serverCpuUsPerOp()), fmt(serverCpuNoJitUsPerOp(p)), fmt(p.clientCpuUsPerOp()), fmt(p.serverCores()),
        fmt(p.clientCores()), fmt(p.otherCores()),
        p.errors > 0 ? "  ERRORS " + p.errors + " first: " + p.firstError : "");
  }

  private static final java.util.regex.Pattern JIT =
      java.util.regex.Pattern.compile("C\\S* CompilerThre=(\\d+)");

  /**
   * Server CPU per call without the JIT compiler threads (C1/C2 "CompilerThre..." in the phase's per-thread CPU):
   * on two cores the servers keep compiling for minutes, and that is not a cost of the call.
   */
  static double serverCpuNoJitUsPerOp(Phase p) {
    if (Double.isNaN(p.serverCpuUsPerOp())) return Double.NaN;
    double jitMs = 0;
    var m = JIT.matcher(p.serverThreads);
    while (m.find()) jitMs += Double.parseDouble(m.group(1));
    return Math.max(0, p.serverCpuMs - jitMs) * 1000.0 / p.count;
  }

  private static double med(List<Phase> ps, java.util.function.ToDoubleFunction<Phase> f) {
    return median(ps.stream().map(p -> f.applyAsDouble(p)).toList());
  }

  private static void printSummary(List<Target> targets, Map<String, Map<String, List<Phase>>> byTarget, int runs,
      String client, int concurrency, int connections) {
    String base = targets.get(0).name();
    System.out.println();
    System.out.printf(Locale.ROOT, "Medians of %d interleaved runs (%s client; get-lb and backend-create: %d in "
        + "flight over %d connection(s); connect: 4 in flight, 1 new connection per call); ratios to %s%n", runs,
        client, concurrency, connections, base);
    System.out.println("| op | target | ops/s | ratio | p50 ms | p99 ms | p99 ratio | server CPU us/op "
        + "| without JIT | +server us/op (without JIT) | client CPU us/op | other cores | errors |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    List<String> ops = new ArrayList<>();
    for (var m : byTarget.values()) for (String op : m.keySet()) if (!ops.contains(op)) ops.add(op);
    for (String op : ops) {
      List<Phase> b = byTarget.getOrDefault(base, Map.of()).getOrDefault(op, List.of());
      double bRate = med(b, Phase::rate);
      double bP99 = med(b, p -> p.pct(99));
      double bCpu = med(b, AuthBench::serverCpuNoJitUsPerOp);
      for (Target t : targets) {
        List<Phase> ps = byTarget.getOrDefault(t.name(), Map.of()).getOrDefault(op, List.of());
        if (ps.isEmpty()) continue;
        double rate = med(ps, Phase::rate);
        double p99 = med(ps, p -> p.pct(99));
        double cpu = med(ps, AuthBench::serverCpuNoJitUsPerOp);
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |%n", op,
            t.name(), fmt(rate), String.format(Locale.ROOT, "%.2f", rate / bRate), fmt(med(ps, p -> p.pct(50))),
            fmt(p99), String.format(Locale.ROOT, "%.2f", p99 / bP99), fmt(med(ps, Phase::serverCpuUsPerOp)), fmt(cpu),
            t.name().equals(base) ? "-" : String.format(Locale.ROOT, "%+.0f", cpu - bCpu),
            fmt(med(ps, Phase::clientCpuUsPerOp)), fmt(med(ps, Phase::otherCores)),
            ps.stream().mapToLong(p -> p.errors).sum());
      }
    }
    // The goal: Get over TLS with JWT (cached) within 10% of plaintext local mode.
    String goalTarget = targets.stream().map(Target::name).filter(n -> n.equals("tls-jwt")).findFirst().orElse(null);
    List<Phase> b = byTarget.getOrDefault(base, Map.of()).getOrDefault("get-lb", List.of());
    List<Phase> g = goalTarget == null ? List.of()
        : byTarget.getOrDefault(goalTarget, Map.of()).getOrDefault("get-lb", List.of());
    if (!b.isEmpty() && !g.isEmpty()) {
      double ratio = med(g, Phase::rate) / med(b, Phase::rate);
      List<String> perRun = new ArrayList<>();
      for (int i = 0; i < Math.min(b.size(), g.size()); i++) {
        perRun.add(String.format(Locale.ROOT, "%.2f", g.get(i).rate() / b.get(i).rate()));
      }
      System.out.printf(Locale.ROOT, "%nGoal (issue 10): Get over TLS with JWT within 10%% of plaintext local mode:"
              + " %s/s vs %s/s = %.2f (per run %s); p99 %s vs %s ms: %s%n", fmt(med(g, Phase::rate)),
          fmt(med(b, Phase::rate)), ratio, String.join(" ", perRun), fmt(med(g, p -> p.pct(99))),
          fmt(med(b, p -> p.pct(99))), ratio >= 0.90 ? "MET (>= 0.90)" : "MISSED (< 0.90)");
    }
  }
}
