package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.MethodDescriptor;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.ListListenersRequest;
import io.fiberlb.api.v1.ListPoolsRequest;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.it.BadInputCorpus.Case;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * A generated corpus of bad input ({@link BadInputCorpus}, over 2,000 cases) against one live server, sent as raw
 * bytes by a plain grpc-java client: every case gets the precise client error it should, naming the field, never
 * OK, INTERNAL, UNKNOWN or UNIMPLEMENTED; nothing is journaled (the journal's rows are counted in the server's H2
 * file before and after each case); and the server keeps serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputCorpusTest {
  private static final int MAX_REQUEST_BYTES = 64 * 1024;
  private TestServer server;
  private TestServer.Api api;
  private ManagedChannel channel;
  private BadInputCorpus.Ids ids;
  private String poolToken;
  private String vip;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of("fiberlb.grpc.max-request-bytes", MAX_REQUEST_BYTES));
    api = server.as("corpus");
    var created = api.createLb("corpus");
    String lb = created.getId();
    vip = created.getVipAddress();
    String hc = api.createHealthCheck(lb).getId();
    String pool = api.createPool(lb, "pool-a").getId();
    api.createPool(lb, "pool-b");
    String listener = api.createListener(lb, 80, pool).getId();
    String backend = api.createBackend(lb, pool, "10.0.0.1", 80).getId();
    String httpListener = api.createHttpListener(lb, 8088, null).getId();
    String policy = api.createL7Policy(lb, httpListener, io.fiberlb.api.v1.L7PolicySpec.newBuilder()
        .setAction(io.fiberlb.api.v1.L7Policy.Action.REJECT)).getId();
    String rule = api.createL7Rule(lb, policy, io.fiberlb.api.v1.L7RuleSpec.newBuilder()
        .setType(io.fiberlb.api.v1.L7Rule.Type.PATH).setCompareType(io.fiberlb.api.v1.L7Rule.CompareType.EQUAL_TO)
        .setValue("/x")).getId();
    ids = new BadInputCorpus.Ids(lb, listener, pool, backend, hc, httpListener, policy, rule);
    api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder().setRequestId("idem-lb")
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("idem")).build());
    api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb).setRequestId("idem-pool")
        .setPool(PoolSpec.newBuilder().setName("idem-pool")).build());
    poolToken = api.call(api.pools().listPools(), ListPoolsRequest.newBuilder().setLoadBalancerId(lb).setPageSize(1)
        .build()).getNextPageToken();
    assertThat(poolToken).isNotEmpty();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    logs.start();
    root().addAppender(logs);
    logsSince = System.nanoTime();
  }

  /** Everything the server logs while the corpus runs (same JVM). */
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private long logsSince;

  private static ch.qos.logback.classic.Logger root() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @AfterAll
  void stop() throws InterruptedException {
    root().detachAppender(logs);
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  List<Case> corpus() {
    var corpus = new BadInputCorpus(ids);
    List<Case> cases = new ArrayList<>(corpus.all());
    for (MethodDescriptor m : BadInputCorpus.methods()) {
      cases.add(new Case(m.getName() + ": body over the size limit", m, BadInputCorpus.oversized(MAX_REQUEST_BYTES),
          Status.Code.RESOURCE_EXHAUSTED, "request body: larger than the limit of " + MAX_REQUEST_BYTES + " bytes"));
      var tokenField = m.getInputType().findFieldByName("page_token");
      if (tokenField == null) continue;
      List<String> tokens = new ArrayList<>(List.of("x", "djE6MTA", token("v1:10"), token("v2:1:0000000000000000"),
          token("v2:-1:0000000000000000"), token("v2:99999999999999999999:00"), token("v2:1")));
      if (!m.getName().equals("ListPools")) tokens.add(poolToken); // a token of another list
      for (String t : tokens) {
        var body = BadInputCorpus.set(corpus.base(m), List.of(tokenField), 0, t).toByteArray();
        cases.add(new Case(m.getName() + ": page_token " + t, m, body, Status.Code.INVALID_ARGUMENT, "page_token"));
      }
    }
    // The pool token on the pools of another load balancer (the "idem" one) and of the same one in another project.
    var poolsOfAnother = ListPoolsRequest.newBuilder().setLoadBalancerId(idemLb()).setPageToken(poolToken).build();
    cases.add(new Case("ListPools: page_token of another load balancer", method("ListPools"),
        poolsOfAnother.toByteArray(), Status.Code.INVALID_ARGUMENT, "page_token: belongs to another list"));
    // Refusals that need the project or the VIP pool: asked before anything is sent to a new entity.
    cases.add(new Case("CreateLoadBalancer: name taken", method("CreateLoadBalancer"),
        CreateLoadBalancerRequest.newBuilder().setLoadBalancer(LoadBalancerSpec.newBuilder().setName("corpus")).build()
            .toByteArray(), Status.Code.ALREADY_EXISTS, "load_balancer.name: 'corpus' is already used"));
    cases.add(new Case("CreateLoadBalancer: VIP taken", method("CreateLoadBalancer"),
        CreateLoadBalancerRequest.newBuilder().setLoadBalancer(LoadBalancerSpec.newBuilder().setName("new")
            .setVipAddress(vip)).build().toByteArray(), Status.Code.ALREADY_EXISTS,
        "load_balancer.vip_address: " + vip + " is already held"));
    // A quota change that sets nothing.
    cases.add(new Case("SetQuota: no limit given", method("SetQuota"), io.fiberlb.api.v1.SetQuotaRequest
        .getDefaultInstance().toByteArray(), Status.Code.INVALID_ARGUMENT, "quota: give at least one of load_balancers"));
    // A request id used again with another body.
    cases.add(new Case("CreateLoadBalancer: request_id reused with another body", method("CreateLoadBalancer"),
        CreateLoadBalancerRequest.newBuilder().setRequestId("idem-lb").setLoadBalancer(LoadBalancerSpec.newBuilder()
            .setName("idem-2")).build().toByteArray(), Status.Code.INVALID_ARGUMENT, "request_id: 'idem-lb' was already used"));
    cases.add(new Case("CreatePool: request_id reused with another body", method("CreatePool"),
        CreatePoolRequest.newBuilder().setLoadBalancerId(ids.lb()).setRequestId("idem-pool").setPool(PoolSpec
            .newBuilder().setName("other")).build().toByteArray(), Status.Code.INVALID_ARGUMENT, "request_id: 'idem-pool'"));
    cases.addAll(asDryRuns(cases));
    return cases;
  }

  /**
   * A write asked with validate_only is refused exactly as the real call: for every write, the first case of each
   * kind (each field, each explicit refusal) again with validate_only set.
   */
  private static List<Case> asDryRuns(List<Case> cases) {
    var out = new ArrayList<Case>();
    var seen = new java.util.HashSet<String>();
    for (Case c : cases) {
      var flag = c.method().getInputType().findFieldByName("validate_only");
      if (flag == null || c.name().contains("garbage") || c.name().contains("over the size limit")) continue;
      if (!seen.add(c.name().replaceFirst(" = .*", ""))) continue;
      com.google.protobuf.DynamicMessage request;
      try {
        request = com.google.protobuf.DynamicMessage.parseFrom(c.method().getInputType(), c.body());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        continue;
      }
      byte[] body = request.toBuilder().setField(flag, true).build().toByteArray();
      out.add(new Case(c.name() + " (validate_only)", c.method(), body, c.code(), c.mustName()));
    }
    return out;
  }

  @Test
  void theCorpusIsLargeAndReachesEveryMethod() {
    List<Case> cases = corpus();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(2000);
    assertThat(BadInputCorpus.countByMethod(cases)).hasSize(BadInputCorpus.methods().size()).allSatisfy((m, n) ->
        assertThat(n).as(m).isGreaterThanOrEqualTo(20));
  }

  @TestFactory
  Stream<DynamicTest> everyCaseIsRefusedPreciselyAndChangesNothing() {
    List<Case> cases = corpus();
    Stream<DynamicTest> each = cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      long before = journalRows();
      Status s = call(c.method(), c.body());
      assertThat(s.getCode()).as("%s: %s", c.name(), s).isEqualTo(c.code());
      assertThat(s.getDescription()).as(c.name()).contains(c.mustName());
      assertThat(journalRows()).as("%s: journal rows", c.name()).isEqualTo(before);
    }));
    return Stream.concat(each, Stream.of(DynamicTest.dynamicTest("the server still serves", () ->
        assertThat(api.call(api.lbs().getLoadBalancer(), GetLoadBalancerRequest.newBuilder().setId(ids.lb()).build())
            .getName()).isEqualTo("corpus")), DynamicTest.dynamicTest("nothing logged but a few WARNs", () -> {
              List<ILoggingEvent> seen = List.copyOf(logs.list);
              assertThat(seen).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR));
              assertThat(seen).noneMatch(e -> e.getThrowableProxy() != null && e.getLoggerName().startsWith("io.fiberlb"));
              long tenSeconds = (System.nanoTime() - logsSince) / 10_000_000_000L + 1;
              assertThat(seen.stream().filter(e -> e.getLoggerName().endsWith("RequestErrors")).count())
                  .as("rate-limited: one per 10 s").isBetween(0L, tenSeconds);
            })));
  }

  /**
   * Bodies that are not even one gRPC frame, and compressed frames that do not inflate, sent over plain HTTP/2
   * (pekko-http's client), so that nothing frames them: every method, each the exact status and the message named.
   */
  @TestFactory
  Stream<DynamicTest> rawBodiesThatAreNotOneGrpcFrame() throws Exception {
    var http = TestServer.newClientSystem();
    var zeros = new java.io.ByteArrayOutputStream();
    try (var gz = new java.util.zip.GZIPOutputStream(zeros)) {
      gz.write(new byte[MAX_REQUEST_BYTES * 4]);
    }
    var garbage = new java.io.ByteArrayOutputStream();
    try (var gz = new java.util.zip.GZIPOutputStream(garbage)) {
      gz.write(new byte[] {0x0a, 0x7f});
    }
    record Raw(String name, byte[] body, String encoding, Status.Code code, String says) {}
    List<Raw> raws = List.of(new Raw("empty", new byte[0], null, Status.Code.INVALID_ARGUMENT, "0 bytes"),
        new Raw("3 bytes", new byte[] {1, 2, 3}, null, Status.Code.INVALID_ARGUMENT, "not a gRPC message frame"),
        new Raw("short frame", new byte[] {0, 0, 0, 0, 9, 1}, null, Status.Code.INVALID_ARGUMENT, "the frame says 9"),
        new Raw("huge length", new byte[] {0, -1, -1, -1, -1, 1}, null, Status.Code.INVALID_ARGUMENT, "4294967295"),
        new Raw("two frames", new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, null, Status.Code.INVALID_ARGUMENT,
            "the frame says 0 bytes and 5 follow"),
        new Raw("flag 2", new byte[] {2, 0, 0, 0, 0}, null, Status.Code.INVALID_ARGUMENT, "frame flag 2"),
        new Raw("compressed without encoding", new byte[] {1, 0, 0, 0, 2, 7, 7}, null, Status.Code.INVALID_ARGUMENT,
            "no grpc-encoding"),
        new Raw("not gzip", new byte[] {1, 0, 0, 0, 2, 7, 7}, "gzip", Status.Code.INVALID_ARGUMENT, "not valid gzip"),
        new Raw("gzip of garbage", frame(garbage.toByteArray()), "gzip", Status.Code.INVALID_ARGUMENT, "not a valid"),
        new Raw("gzip bomb", frame(zeros.toByteArray()), "gzip", Status.Code.RESOURCE_EXHAUSTED,
            "larger than the limit of " + MAX_REQUEST_BYTES));
    var cases = new ArrayList<DynamicTest>();
    for (MethodDescriptor m : BadInputCorpus.methods()) {
      for (Raw r : raws) {
        cases.add(DynamicTest.dynamicTest(m.getName() + ": " + r.name(), () -> {
          long before = journalRows();
          var req = org.apache.pekko.http.javadsl.model.HttpRequest.POST("/" + m.getService().getFullName() + "/"
                  + m.getName())
              .withEntity(org.apache.pekko.http.javadsl.model.HttpEntities.create(
                  org.apache.pekko.http.javadsl.model.ContentTypes.parse("application/grpc"), r.body()))
              .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("te", "trailers"))
              .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("x-fiberlb-project", "corpus"));
          if (r.encoding() != null) {
            req = req.addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("grpc-encoding", r.encoding()));
          }
          var flow = org.apache.pekko.http.javadsl.Http.get(http).connectionTo("127.0.0.1").toPort(server.port())
              .http2WithPriorKnowledge();
          var resp = org.apache.pekko.stream.javadsl.Source.single(req).via(flow)
              .runWith(org.apache.pekko.stream.javadsl.Sink.head(), http).toCompletableFuture().get(15, TimeUnit.SECONDS);
          resp.discardEntityBytes(http);
          String code = resp.getHeader("grpc-status").map(h -> h.value()).orElse("none");
          String message = java.net.URLDecoder.decode(resp.getHeader("grpc-message").map(h -> h.value()).orElse("")
              .replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
          assertThat(Status.fromCodeValue(Integer.parseInt(code)).getCode()).as(message).isEqualTo(r.code());
          assertThat(message).startsWith("request body:").contains(r.says());
          if (r.code() == Status.Code.INVALID_ARGUMENT) assertThat(message).contains(m.getInputType().getFullName());
          assertThat(journalRows()).isEqualTo(before);
        }));
      }
    }
    cases.add(DynamicTest.dynamicTest("client system stops", () -> http.terminate()));
    return cases.stream();
  }

  private static byte[] frame(byte[] compressed) {
    var out = java.nio.ByteBuffer.allocate(5 + compressed.length);
    out.put((byte) 1).putInt(compressed.length).put(compressed);
    return out.array();
  }

  @Test
  void aRetryWithTheSameBodyIsStillIdempotent() {
    var again = api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder().setRequestId("idem-lb")
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("idem")).build());
    assertThat(again.getId()).isEqualTo(idemLb());
    var pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(ids.lb())
        .setRequestId("idem-pool").setPool(PoolSpec.newBuilder().setName("idem-pool")).build());
    assertThat(pool.getName()).isEqualTo("idem-pool");
  }

  @Test
  void aPageTokenStillWorksOnItsOwnList() {
    var next = api.call(api.pools().listPools(), ListPoolsRequest.newBuilder().setLoadBalancerId(ids.lb())
        .setPageSize(1).setPageToken(poolToken).build());
    assertThat(next.getPoolsCount()).isEqualTo(1);
    var listeners = api.call(api.listeners().listListeners(), ListListenersRequest.newBuilder()
        .setLoadBalancerId(ids.lb()).build());
    assertThat(listeners.getListenersCount()).isEqualTo(2); // the TCP one and the HTTP one the L7 bases use
  }

  private String idemLb() {
    return io.fiberlb.controlplane.LoadBalancerEntity.idFor("default", "corpus", "idem-lb");
  }

  private static MethodDescriptor method(String name) {
    return BadInputCorpus.methods().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
  }

  private static String token(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private long journalRows() {
    return server.journalRows(true);
  }

  private static final io.grpc.MethodDescriptor.Marshaller<byte[]> BYTES = new io.grpc.MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream in) {
      try {
        return in.readAllBytes();
      } catch (java.io.IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  @Test
  void aGzipCompressedRequestStillWorks() throws Exception {
    byte[] get = GetLoadBalancerRequest.newBuilder().setId(ids.lb()).build().toByteArray();
    assertThat(call(method("GetLoadBalancer"), get, CallOptions.DEFAULT.withCompression("gzip")).getCode())
        .isEqualTo(Status.Code.OK);
  }

  private Status call(MethodDescriptor m, byte[] body) throws Exception {
    return call(m, body, CallOptions.DEFAULT);
  }

  /** One call with {@code body} as the request's bytes; the status it ends with. */
  private Status call(MethodDescriptor m, byte[] body, CallOptions options) throws Exception {
    var method = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(m.isServerStreaming() ? io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING
            : io.grpc.MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(m.getService().getFullName(), m.getName()))
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    ClientCall<byte[], byte[]> call = channel.newCall(method, options.withDeadlineAfter(10, TimeUnit.SECONDS));
    var done = new CompletableFuture<Status>();
    var headers = new Metadata();
    headers.put(Metadata.Key.of("x-fiberlb-project", Metadata.ASCII_STRING_MARSHALLER), "corpus");
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        done.complete(status);
      }
    }, headers);
    call.request(16);
    call.setMessageCompression(options.getCompressor() != null);
    call.sendMessage(body);
    call.halfClose();
    return done.get(15, TimeUnit.SECONDS);
  }
}
