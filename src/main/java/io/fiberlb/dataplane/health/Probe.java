package io.fiberlb.dataplane.health;

import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.ExpectedCodes;
import io.fiberlb.port.HealthCheckType;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * How one backend is probed: a short Pekko Streams TCP connection and, by type,
 * <ul>
 *   <li>TCP: the connect alone;
 *   <li>HTTP: one request ({@code http_method url_path HTTP/<http_version>}, {@code Host:} the check's
 *       {@code domain_name}, or the backend's address and port when it has none) and its status line;
 *   <li>HTTPS: the same over TLS, the backend's certificate not verified ({@link ProbeTls});
 *   <li>TLS_HELLO: a ClientHello, passing when the backend answers with a ServerHello (no handshake is finished,
 *       no certificate looked at: a TLS server that answers is up; an alert, other bytes or a close fail it);
 * </ul>
 * UDP_CONNECT sends one datagram instead ({@link UdpProbe}).
 * No thread waits on a probe; each is bounded by the check's timeout from start to verdict, and its connection is
 * closed as soon as the verdict is known, or when {@link Running#cancel()} is called. A probe that gets no answer
 * is also cut off by the connection's idle timeout (the check's timeout), so none can outlive its monitor for long.
 *
 * <p>Failure reasons are short and stable because users see them and the audit journal keeps them: {@code timeout},
 * {@code refused}, {@code reset}, {@code bad status 503}, {@code no status line}, {@code malformed response},
 * {@code tls handshake failed}, {@code no server hello}, {@code tls alert}, {@code not a TLS server hello},
 * {@code unreachable[: detail]}.
 *
 * @param host the Host header (and TLS server name) when the check names a domain; empty otherwise
 * @param httpVersion {@code 1.0} or {@code 1.1}, for the request line
 */
record Probe(HealthCheckType type, String address, int port, Duration timeout, String httpMethod, String urlPath,
    ExpectedCodes expectedCodes, String host, String httpVersion) {

  /** Longest status line read; a longer one is a {@code malformed response}. */
  static final int MAX_STATUS_LINE = 4096;
  private static final ExpectedCodes DEFAULT_CODES = ExpectedCodes.parse("200").orElseThrow();
  private static final Pattern STATUS_LINE = Pattern.compile("HTTP/\\d+(?:\\.\\d+)? (\\d{3})(?: .*)?");
  private static final int MAX_DETAIL = 120;

  /** What one probe found: {@code reason} is empty on success; {@code nanos} from start to verdict. */
  record Result(boolean ok, String reason, long nanos) {}

  /** A probe under way: its verdict, and a way to drop its connection (or socket) early. */
  record Running(CompletionStage<Result> result, Runnable canceller) {
    void cancel() {
      canceller.run();
    }
  }

  static Probe of(DesiredHealthCheck check, HealthMonitor.Target target) {
    // The API validates expected codes; the default only guards against a record that bypassed it.
    ExpectedCodes codes = ExpectedCodes.parse(check.expectedCodes()).orElse(DEFAULT_CODES);
    String version = "1.0".equals(check.httpVersion()) ? "1.0" : "1.1";
    String host = check.domainName() == null ? "" : check.domainName().strip();
    return new Probe(check.type(), target.address(), target.port(), Duration.ofMillis(check.timeoutMs()),
        check.httpMethod(), check.urlPath(), codes, host, version);
  }

  Running start(ActorSystem<?> system) {
    if (type == HealthCheckType.UDP_CONNECT) return UdpProbe.start(system, address, port, timeout);
    long started = System.nanoTime();
    // Unresolved: a host name is resolved by Pekko's asynchronous DNS, never on the caller's thread.
    var remote = InetSocketAddress.createUnresolved(address, port);
    // No half-close: the probe closes the whole connection itself once it has its verdict. The idle timeout
    // makes sure a connection the probe lost track of dies by itself.
    Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connection = type == HealthCheckType.HTTPS
        ? Tcp.get(system).outgoingConnectionWithTls(remote, () -> ProbeTls.client(serverName(), port),
            Optional.empty(), List.of(), Optional.of(timeout), Optional.of(timeout), session -> Optional.empty(),
            TLSClosing.eagerClose())
        : Tcp.get(system).outgoingConnection(remote, Optional.empty(), List.of(), false, Optional.of(timeout),
            Optional.of(timeout));

    UniqueKillSwitch killSwitch;
    CompletionStage<Result> outcome;
    if (type == HealthCheckType.HTTP || type == HealthCheckType.HTTPS) {
      // The request stays open for writing (never completes) so that no server reads an early FIN as an abort.
      Pair<UniqueKillSwitch, CompletionStage<Optional<ByteString>>> m = Source.single(request())
          .concat(Source.never())
          .viaMat(KillSwitches.single(), Keep.right())
          .via(connection)
          .via(Framing.delimiter(ByteString.fromString("\n"), MAX_STATUS_LINE, FramingTruncation.ALLOW))
          .toMat(Sink.headOption(), Keep.both())
          .run(system);
      killSwitch = m.first();
      outcome = m.second().thenApply(line -> judge(line, started));
    } else if (type == HealthCheckType.TLS_HELLO) {
      // The first bytes of the answer, however the server's writes are split: a record header and a message type.
      Pair<UniqueKillSwitch, CompletionStage<Optional<ByteString>>> m =
          Source.single(ProbeTls.clientHello(serverName(), port))
          .concat(Source.never())
          .viaMat(KillSwitches.single(), Keep.right())
          .via(connection)
          .scan(ByteString.emptyByteString(), ByteString::concat)
          .dropWhile(received -> received.size() < ProbeTls.HELLO_PREFIX)
          .toMat(Sink.headOption(), Keep.both())
          .run(system);
      killSwitch = m.first();
      outcome = m.second().thenApply(first -> {
        String why = ProbeTls.judgeHello(first.orElse(ByteString.emptyByteString()));
        return new Result(why.isEmpty(), why, System.nanoTime() - started);
      });
    } else {
      Pair<UniqueKillSwitch, CompletionStage<Tcp.OutgoingConnection>> m = Source.<ByteString>never()
          .viaMat(KillSwitches.single(), Keep.right())
          .viaMat(connection, Keep.both())
          .to(Sink.ignore())
          .run(system);
      killSwitch = m.first();
      outcome = m.second().thenApply(connected -> new Result(true, "", System.nanoTime() - started));
    }

    // The connection ends with the verdict. An answer means the connection was made: close it politely. A timeout
    // may come while still connecting, and completing the stream then trips Pekko's TCP stage (it closes a
    // connection it does not have yet), so the stream is failed instead: no connection yet, or a reset if there is.
    var verdict = new CompletableFuture<Result>();
    Cancellable deadline = system.scheduler().scheduleOnce(timeout, () -> {
      verdict.complete(new Result(false, "timeout", System.nanoTime() - started));
      killSwitch.abort(new Abandoned("timeout"));
    }, system.executionContext());
    outcome.whenComplete((r, e) -> {
      deadline.cancel();
      verdict.complete(r != null ? r : new Result(false, reason(e), System.nanoTime() - started));
      if (r != null) killSwitch.shutdown();
    });
    return new Running(verdict, () -> killSwitch.abort(new Abandoned("cancelled")));
  }

  /** Why a probe's stream was cut short: a timeout or its monitor moved on. */
  static final class Abandoned extends RuntimeException {
    Abandoned(String why) {
      super(why, null, false, false);
    }
  }

  /** The request line and headers: Host is the check's domain name, or the backend's address and port. */
  ByteString request() {
    String hostHeader = host.isEmpty() ? bracketed(address) + ":" + port : host;
    return ByteString.fromString(httpMethod + " " + urlPath + " HTTP/" + httpVersion + "\r\n"
        + "Host: " + hostHeader + "\r\n"
        + "Connection: close\r\n"
        + "User-Agent: FiberLB-health\r\n"
        + "\r\n", StandardCharsets.US_ASCII);
  }

  private static String bracketed(String address) {
    return address.indexOf(':') >= 0 ? "[" + address + "]" : address;
  }

  /** The TLS server name: the check's domain name, else the backend's address (then no SNI is sent). */
  private String serverName() {
    return host.isEmpty() ? address : host;
  }

  private Result judge(Optional<ByteString> line, long started) {
    long nanos = System.nanoTime() - started;
    if (line.isEmpty()) return new Result(false, "no status line", nanos);
    int code = statusCode(line.get().decodeString(StandardCharsets.ISO_8859_1));
    if (code < 0) return new Result(false, "malformed response", nanos);
    if (!expectedCodes.matches(code)) return new Result(false, "bad status " + code, nanos);
    return new Result(true, "", nanos);
  }

  /** The code of an HTTP status line ({@code HTTP/1.1 204 No Content}), or -1. */
  static int statusCode(String line) {
    String s = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    Matcher m = STATUS_LINE.matcher(s);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /**
   * The stable reason for a failed probe. Pekko reports connect failures as a StreamTcpException whose message
   * carries the JDK exception's text, so the text is what is classified.
   */
  static String reason(Throwable failure) {
    Throwable e = failure;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    var text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException || t instanceof SocketTimeoutException) return "timeout";
      if (t instanceof org.apache.pekko.stream.scaladsl.Framing.FramingException) return "malformed response";
      if (t instanceof UnknownHostException) return "unreachable: unknown host";
      if (t instanceof javax.net.ssl.SSLException) return "tls handshake failed";
      if (t.getMessage() != null) text.append(t.getMessage()).append('\n');
      if (t.getCause() == t) break;
    }
    String m = text.toString().toLowerCase(java.util.Locale.ROOT);
    if (m.contains("connection refused")) return "refused";
    if (m.contains("timeout") || m.contains("timed out")) return "timeout";
    if (m.contains("reset") || m.contains("broken pipe")) return "reset";
    if (m.contains("unknownhostexception") || m.contains("name or service not known")) return "unreachable: unknown host";
    String detail = detail(e);
    return detail.isEmpty() ? "unreachable" : "unreachable: " + detail;
  }

  /** The most specific text of a failure: the deepest message, after Pekko's "failed because of X:" prefix. */
  private static String detail(Throwable e) {
    String msg = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) msg = t.getMessage();
    }
    if (msg == null) return "";
    int colon = msg.lastIndexOf(": ");
    String s = (colon >= 0 ? msg.substring(colon + 2) : msg).strip();
    return s.length() > MAX_DETAIL ? s.substring(0, MAX_DETAIL) : s;
  }
}
