package io.fiberlb.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.api.security.TlsFiles;
import io.grpc.Status;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.GrpcChannel;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;
import org.apache.pekko.grpc.javadsl.StreamResponseRequestBuilder;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.LoggerFactory;

/**
 * The CLI's connection to a FiberLB server: one actor system and an HTTP/2 channel, made on the first call, and
 * the single place where a call is made, waited for and its failure turned into a {@link CallFailed}.
 */
final class Api implements AutoCloseable {
  static final String ORG_HEADER = "x-fiberlb-org";
  static final String PROJECT_HEADER = "x-fiberlb-project";
  static final String USER_HEADER = "x-fiberlb-user";
  static final Duration DEADLINE = Duration.ofSeconds(30);

  /**
   * Only Pekko's reference configuration, not the server's application.conf: the client must not start
   * clustering or bind ports. Pekko logs only warnings, through SLF4J (see {@link #logToStderr()}).
   */
  private static final String CONFIG = """
      pekko {
        loglevel = WARNING
        stdout-loglevel = OFF
        loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
        logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
        log-dead-letters = off
        log-dead-letters-during-shutdown = off
        actor.provider = local
        coordinated-shutdown.run-by-jvm-shutdown-hook = off
      }
      """;

  private final Endpoint server;
  private final String org;
  private final String project;
  private final Credentials credentials;
  private ActorSystem system;
  private GrpcChannel channel;
  private GrpcChannel streamChannel;

  Api(Endpoint server, String org, String project) {
    this(server, org, project, Credentials.NONE);
  }

  Api(Endpoint server, String org, String project, Credentials credentials) {
    this.server = server;
    this.org = org;
    this.project = project;
    this.credentials = credentials;
  }

  /**
   * How the CLI proves who it is: a bearer token (or null), TLS, and for TLS the CAs to trust (null: the JDK's)
   * and a client certificate and key (null: none).
   */
  record Credentials(String token, boolean tls, Path ca, Path cert, Path key) {
    static final Credentials NONE = new Credentials(null, false, null, null, null);
  }

  Endpoint server() {
    return server;
  }

  /** A client of one service on the shared channel, e.g. {@code client(PoolServiceClient::create)}. */
  <C> C client(BiFunction<GrpcChannel, ClassicActorSystemProvider, C> create) {
    if (channel == null) {
      GrpcClientSettings settings = settings().withDeadline(DEADLINE);
      channel = GrpcChannel.apply(settings, system);
    }
    return create.apply(channel, system);
  }

  /**
   * A client for server-streaming calls ({@link #stream}): on a second channel without the {@link #DEADLINE},
   * since a stream (an export, a follow) lasts as long as it has something to send.
   */
  <C> C streamingClient(BiFunction<GrpcChannel, ClassicActorSystemProvider, C> create) {
    if (streamChannel == null) {
      GrpcClientSettings settings = settings();
      streamChannel = GrpcChannel.apply(settings, system);
    }
    return create.apply(streamChannel, system);
  }

  /** The settings of a channel to the server, starting the actor system on first use. */
  private GrpcClientSettings settings() {
    if (system == null) {
      try {
        // Resolved here so that a typo in --server is reported like a refused connection, not as UNKNOWN.
        InetAddress.getByName(server.host());
      } catch (UnknownHostException e) {
        throw new CallFailed(Status.UNAVAILABLE.withDescription("unknown host " + server.host()).withCause(e), server);
      }
      logToStderr();
      Config config = ConfigFactory.parseString(CONFIG).withFallback(ConfigFactory.defaultReference());
      system = ActorSystem.create("fiberlb-cli", config);
    }
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(server.host(), server.port(), system)
        .withTls(credentials.tls());
    if (credentials.tls() && (credentials.ca() != null || credentials.cert() != null)) {
      try {
        settings = settings.withSslContext(TlsFiles.clientContext(credentials.ca(), credentials.cert(),
            credentials.key()));
      } catch (RuntimeException e) {
        throw new Flags.UsageException(e.getMessage());
      }
    }
    return settings;
  }

  /** The headers every call carries: the org and project, the local user name, and the bearer token if any. */
  private <B> B withHeaders(B builder, java.util.function.BiFunction<B, String[], B> add) {
    B b = add.apply(builder, new String[] {ORG_HEADER, org});
    b = add.apply(b, new String[] {PROJECT_HEADER, project});
    b = add.apply(b, new String[] {USER_HEADER, user()});
    if (credentials.token() != null) b = add.apply(b, new String[] {"authorization", "Bearer " + credentials.token()});
    return b;
  }

  /** Makes one unary call as the configured org and project and waits for its answer. */
  <Q, A> A call(SingleResponseRequestBuilder<Q, A> rpc, Q request) {
    var reply = withHeaders(rpc, (b, h) -> b.addHeader(h[0], h[1])).invoke(request);
    try {
      // The channel's deadline ends the call; the extra time only guards against a stage that never completes.
      return reply.toCompletableFuture().get(DEADLINE.plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new CallFailed(Status.fromThrowable(e.getCause()), server);
    } catch (TimeoutException e) {
      throw new CallFailed(Status.DEADLINE_EXCEEDED.withDescription("no answer within " + DEADLINE.toSeconds() + "s"),
          server);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailed(Status.CANCELLED.withDescription("interrupted"), server);
    }
  }

  /**
   * Makes one server-streaming call as the configured org and project (with a client from
   * {@link #streamingClient}) and hands each message to {@code each}, in order, as it arrives, until the stream
   * ends or {@code each} answers false (then the call is cancelled). Returns when it has ended; waits as long as
   * that takes. {@code each} runs on a thread meant for blocking I/O, one message at a time, so it may write to
   * stdout; a slow reader slows the server down instead of filling memory.
   */
  <Q, A> void stream(StreamResponseRequestBuilder<Q, A> rpc, Q request, Predicate<A> each) {
    Source<A, NotUsed> messages = withHeaders(rpc, (b, h) -> b.addHeader(h[0], h[1])).invoke(request);
    RuntimeException[] ownFailure = {null};
    Predicate<A> guarded = a -> {
      try {
        return each.test(a);
      } catch (RuntimeException e) {
        ownFailure[0] = e;
        throw e;
      }
    };
    Sink<A, CompletionStage<Done>> consumer = Flow.<A>create().takeWhile(guarded::test)
        .toMat(Sink.ignore(), Keep.right()).withAttributes(Attributes.apply(ActorAttributes.IODispatcher()));
    try {
      messages.async().runWith(consumer, system).toCompletableFuture().get();
    } catch (ExecutionException e) {
      // A failure of `each` itself (a bug, an I/O error here) is not the server's answer.
      if (ownFailure[0] != null) throw ownFailure[0];
      throw new CallFailed(Status.fromThrowable(e.getCause()), server);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailed(Status.CANCELLED.withDescription("interrupted"), server);
    }
  }

  private static String user() {
    return System.getProperty("user.name", "anonymous");
  }

  /** Closes the channels and stops the actor system, if they were made; waits until they have. */
  @Override
  public void close() {
    if (system == null) return;
    for (GrpcChannel c : new GrpcChannel[] {channel, streamChannel}) {
      if (c == null) continue;
      try {
        c.closeCS().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the actor system's termination below closes whatever is left
      }
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // exiting anyway
    }
    system = null;
    channel = null;
    streamChannel = null;
  }

  /**
   * The jar's logback.xml is the server's: INFO to stdout. A client command keeps stdout for its answer, so its
   * logging is warnings on stderr. A test run (logback-test.xml on the class path) keeps its own set-up.
   */
  private static void logToStderr() {
    if (Api.class.getClassLoader().getResource("logback-test.xml") != null) return;
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
    context.reset();
    var encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%level %logger{24}: %msg%n");
    encoder.start();
    var appender = new ConsoleAppender<ILoggingEvent>();
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    var root = context.getLogger(ch.qos.logback.classic.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(appender);
  }

  /** {@code host:port} of the server; {@code [::1]:9090} for IPv6. */
  record Endpoint(String host, int port) {
    static Endpoint parse(String text) {
      String s = text.trim();
      int colon = s.lastIndexOf(':');
      String host = colon < 0 ? "" : s.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
      int port = -1;
      try {
        if (colon >= 0) port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException ignored) {
        // reported below
      }
      if (host.isEmpty() || (host.contains(":") && !s.startsWith("[")) || port < 1 || port > 65535) {
        throw new IllegalArgumentException(
            "'" + text + "' is not HOST:PORT (write it like 127.0.0.1:9090, localhost:9090 or [::1]:9090)");
      }
      return new Endpoint(host, port);
    }

    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** A call that did not succeed: its gRPC status, and the process exit code the CLI reports it with. */
  static final class CallFailed extends RuntimeException {
    final Status status;
    final Endpoint server;

    CallFailed(Status status, Endpoint server) {
      super(status.getCode() + ": " + status.getDescription(), status.getCause());
      this.status = status;
      this.server = server;
    }

    /** 3 when the server could not be reached, else 1. */
    int exitCode() {
      return unreachable() ? 3 : 1;
    }

    /** UNAVAILABLE because of the connection, not because the server said so (it says why in a description). */
    boolean unreachable() {
      if (status.getCode() != Status.Code.UNAVAILABLE) return false;
      for (Throwable t = status.getCause(); t != null; t = t.getCause()) {
        if (t instanceof ConnectException || t instanceof java.nio.channels.UnresolvedAddressException
            || t instanceof UnknownHostException) return true;
      }
      return status.getDescription() == null || status.getDescription().startsWith("io exception");
    }

    /** {@code error: NOT_FOUND: ...}, plus a hint when the server was not reached. */
    String report() {
      String description = status.getDescription();
      Throwable cause = status.getCause();
      if (description == null) description = cause != null ? String.valueOf(cause.getMessage()) : "(no description)";
      else if (cause != null && cause.getMessage() != null && !description.contains(cause.getMessage())) {
        description += " (" + cause.getMessage() + ")";
      }
      String line = "error: " + status.getCode() + ": " + description;
      if (unreachable()) {
        line += "\nhint: is the server running at " + server + "? start it with bin/fiberlb server"
            + " (or point --server / FIBERLB_SERVER at it)";
      }
      return line;
    }
  }
}
