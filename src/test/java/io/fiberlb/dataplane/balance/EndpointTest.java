package io.fiberlb.dataplane.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class EndpointTest {
  @Test
  void keyIsAddressColonPortWithBracketsForIpv6() {
    assertThat(Endpoint.of("10.0.0.1", 8080).key()).isEqualTo("10.0.0.1:8080");
    assertThat(Endpoint.of("2001:db8::1", 443).key()).isEqualTo("[2001:db8::1]:443");
    assertThat(Endpoint.of("backend.internal", 80).key()).isEqualTo("backend.internal:80");
  }

  @Test
  void validatesLikeTheControlPlane() {
    assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 8080, 257)).hasMessageContaining("weight must be 0..256");
    assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 8080, -1)).hasMessageContaining("weight must be 0..256");
    assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 0)).hasMessageContaining("port must be 1..65535");
    assertThatThrownBy(() -> Endpoint.of(" ", 80)).hasMessageContaining("address must not be blank");
    assertThat(Endpoint.of("10.0.0.1", 8080, 0).acceptsNewConnections()).isFalse();
    assertThat(Endpoint.of("10.0.0.1", 8080, 256).acceptsNewConnections()).isTrue();
  }

  @Test
  void openConnectionsFollowOpensAndClosesAndNeverGoNegative() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080);
    e.connectionOpened();
    e.connectionOpened();
    e.connectionClosed();
    assertThat(e.openConnections()).isEqualTo(1);
    e.connectionClosed();
    e.connectionClosed(); // unmatched
    assertThat(e.openConnections()).isZero();
  }

  @Test
  void changesOfWeightOrHealthKeepCountingOnTheSameCounter() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080, 3);
    e.connectionOpened();
    Endpoint drained = e.withWeight(0);
    Endpoint down = drained.withHealthy(false);
    assertThat(down.weight()).isZero();
    assertThat(down.healthy()).isFalse();
    assertThat(down.openConnections()).isEqualTo(1);
    down.connectionClosed();
    assertThat(e.openConnections()).isZero();
    assertThat(e.withWeight(3)).isSameAs(e);
    assertThat(e.withBackup(true).backup()).isTrue();
  }

  @Test
  void connectionKeysAreValuesAndSeeMappedIpv4AsIpv4() {
    ConnectionKey a = ConnectionKey.of(new InetSocketAddress(Fixtures.ip("192.0.2.7"), 51000));
    ConnectionKey b = ConnectionKey.of(Fixtures.ip("::ffff:192.0.2.7"), 51000);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.addressPortHash()).isEqualTo(b.addressPortHash());
    assertThat(a.toString()).isEqualTo("192.0.2.7:51000");
    ConnectionKey otherPort = ConnectionKey.of(Fixtures.ip("192.0.2.7"), 51001);
    assertThat(otherPort.addressHash()).isEqualTo(a.addressHash());
    assertThat(otherPort.addressPortHash()).isNotEqualTo(a.addressPortHash());
    assertThat(ConnectionKey.of(Fixtures.ip("2001:db8::7"), 1).toString()).isEqualTo("[2001:db8:0:0:0:0:0:7]:1");
    assertThatThrownBy(() -> ConnectionKey.of(InetSocketAddress.createUnresolved("x", 1)))
        .hasMessageContaining("unresolved");
  }
}
