package io.fiberlb.dataplane.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.ExpectedCodes;
import io.fiberlb.port.HealthCheckType;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.stream.StreamTcpException;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The pure parts of a probe: the request it sends, how it reads a status line, and how it names a failure. */
class ProbeTest {
  @Test
  void requestNamesTheHostAndClosesTheConnection() {
    var check = new DesiredHealthCheck("hc", HealthCheckType.HTTP, 1000, 500, 1, 1, "HEAD", "/ready?full=1", "200",
        true);
    assertThat(Probe.of(check, new HealthMonitor.Target("b", "10.0.0.5", 8080)).request().utf8String()).isEqualTo(
        "HEAD /ready?full=1 HTTP/1.0\r\nHost: 10.0.0.5:8080\r\nConnection: close\r\nUser-Agent: FiberLB-health\r\n\r\n");
    assertThat(Probe.of(check, new HealthMonitor.Target("b", "2001:db8::1", 80)).request().utf8String())
        .contains("\r\nHost: [2001:db8::1]:80\r\n");
  }

  @Test
  void domainNameIsTheHostHeaderAndHttpVersionTheRequestLines() {
    var check = new DesiredHealthCheck("hc", HealthCheckType.HTTPS, 1000, 500, 1, 1, "GET", "/health", "200", true,
        "api.example.com", "1.1");
    assertThat(Probe.of(check, new HealthMonitor.Target("b", "10.0.0.5", 8443)).request().utf8String()).isEqualTo(
        "GET /health HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\nUser-Agent: FiberLB-health\r\n\r\n");
  }

  @Test
  void aServerHelloIsToldFromAnAlertAndFromOtherBytes() {
    // A handshake record (0x16 0x03 0x03, length) whose first message is a ServerHello (type 2).
    assertThat(ProbeTls.judgeHello(ByteString.fromArray(new byte[] {0x16, 3, 3, 0, 0x7a, 2}))).isEmpty();
    assertThat(ProbeTls.judgeHello(ByteString.fromArray(new byte[] {0x15, 3, 3, 0, 2, 2}))).isEqualTo("tls alert");
    // A ClientHello echoed back is not an answer.
    assertThat(ProbeTls.judgeHello(ByteString.fromArray(new byte[] {0x16, 3, 1, 1, 0, 1})))
        .isEqualTo("not a TLS server hello");
    assertThat(ProbeTls.judgeHello(ByteString.fromString("HTTP/1.1 400 Bad Request\r\n")))
        .isEqualTo("not a TLS server hello");
    assertThat(ProbeTls.judgeHello(ByteString.fromArray(new byte[] {0x16, 3}))).isEqualTo("no server hello");
    assertThat(ProbeTls.clientHello("10.0.0.5", 443).apply(5)).as("a ClientHello").isEqualTo((byte) 1);
  }

  @Test
  void statusLines() {
    assertThat(Probe.statusCode("HTTP/1.1 200 OK\r")).isEqualTo(200);
    assertThat(Probe.statusCode("HTTP/1.0 503 Service Unavailable")).isEqualTo(503);
    assertThat(Probe.statusCode("HTTP/1.1 204")).isEqualTo(204);
    assertThat(Probe.statusCode("HTTP/1.1 20 OK")).isEqualTo(-1);
    assertThat(Probe.statusCode("SSH-2.0-OpenSSH_9.6\r")).isEqualTo(-1);
    assertThat(Probe.statusCode("")).isEqualTo(-1);
  }

  @Test
  void expectedCodesMatchCodesAndRanges() {
    ExpectedCodes codes = ExpectedCodes.parse("200,204,300-302").orElseThrow();
    assertThat(codes.matches(200)).isTrue();
    assertThat(codes.matches(204)).isTrue();
    assertThat(codes.matches(301)).isTrue();
    assertThat(codes.matches(201)).isFalse();
    assertThat(codes.matches(303)).isFalse();
    assertThat(ExpectedCodes.parse("299-200")).isEmpty();
  }

  @Test
  void failuresHaveShortStableReasons() {
    // The shapes Pekko's TCP stage fails with: the JDK's exception is only in the message.
    assertThat(Probe.reason(new StreamTcpException("Tcp command [Connect(127.0.0.1:1,None,List(),Some(100 "
        + "milliseconds),true)] failed because of java.net.ConnectException: Connection refused"))).isEqualTo("refused");
    assertThat(Probe.reason(new StreamTcpException("Tcp command [Connect(10.0.0.1:80,None,List(),Some(100 "
        + "milliseconds),true)] failed because of java.net.ConnectException: Connect timeout of Some(100 milliseconds) "
        + "expired"))).isEqualTo("timeout");
    assertThat(Probe.reason(new StreamTcpException("The connection closed with error: Connection reset by peer")))
        .isEqualTo("reset");
    assertThat(Probe.reason(new StreamTcpException("Tcp command [Connect(10.9.9.9:80,None,List(),None,true)] failed "
        + "because of java.net.NoRouteToHostException: No route to host"))).isEqualTo("unreachable: No route to host");
    assertThat(Probe.reason(new CompletionException(new TimeoutException("no bytes in 100 ms")))).isEqualTo("timeout");
    assertThat(Probe.reason(new ConnectException("Connection refused"))).isEqualTo("refused");
    assertThat(Probe.reason(new RuntimeException())).isEqualTo("unreachable");
  }
}
