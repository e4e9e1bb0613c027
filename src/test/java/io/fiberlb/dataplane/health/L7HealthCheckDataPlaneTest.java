package io.fiberlb.dataplane.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.dataplane.DataPlaneHarness;
import io.fiberlb.dataplane.health.TestBackends.HttpBackend;
import io.fiberlb.it.EchoBackend;
import io.fiberlb.it.Poll;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.HealthCheckType;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The L7 checks as the data plane runs them from port records: a pool's HTTPS check (with a domain name and HTTP/1.1)
 * keeps a TLS backend up and is what that backend sees; a TLS_HELLO check takes a plain TCP backend down with the
 * reason reported to the control plane.
 */
class L7HealthCheckDataPlaneTest {
  @Test
  void httpsAndTlsHelloChecksRunFromTheDesiredLoadBalancer(@TempDir Path dir) throws Exception {
    try (DataPlaneHarness dp = new DataPlaneHarness("netty");
        HttpBackend https = new HttpBackend(200, TestBackends.selfSignedTls(dir));
        EchoBackend plain = new EchoBackend("plain")) {
      var checks = Map.of(
          "hc-https", new DesiredHealthCheck("hc-https", HealthCheckType.HTTPS, 200, 5000, 1, 1, "GET", "/ready",
              "200", true, "www.example.com", "1.1"),
          "hc-hello", new DesiredHealthCheck("hc-hello", HealthCheckType.TLS_HELLO, 200, 5000, 1, 1, "GET", "/",
              "200", true, "", "1.0"));
      var pools = List.of(
          new DesiredPool("p-https", Protocol.TCP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 0,
              "hc-https", true),
          new DesiredPool("p-hello", Protocol.TCP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 0,
              "hc-hello", true));
      var backends = List.of(
          new DesiredBackend("b-https", "p-https", "127.0.0.1", https.port, 1, true, false, 0),
          new DesiredBackend("b-plain", "p-hello", "127.0.0.1", plain.port(), 1, true, false, 0));
      var lb = dp.serve("127.0.0.1", List.of(), pools, backends, checks);

      // The plain backend goes down for the reason TLS_HELLO gives (a slow first TLS handshake on a busy machine
      // may move the HTTPS backend too: that transition is let pass).
      DataPlaneReport.HealthTransition down;
      do {
        down = lb.reports().expectMessageClass(DataPlaneReport.HealthTransition.class, Duration.ofSeconds(15));
      } while (!down.backendId().equals("b-plain"));
      assertThat(down).isEqualTo(new DataPlaneReport.HealthTransition("b-plain", false, "not a TLS server hello"));

      var gauge = dp.health(lb, "b-https");
      Poll.until("https probes passed", Duration.ofSeconds(15), () -> gauge.probes.sum() - gauge.probeFailures.sum(),
          n -> n >= 3);
      assertThat(https.requests).hasSizeGreaterThanOrEqualTo(3).allSatisfy(r -> {
        assertThat(r.headers().getFirst("Host")).isEqualTo("www.example.com");
        assertThat(r.protocol()).isEqualTo("HTTP/1.1");
        assertThat(r.path()).isEqualTo("/ready");
      });
      dp.stop(lb);
    }
  }
}
