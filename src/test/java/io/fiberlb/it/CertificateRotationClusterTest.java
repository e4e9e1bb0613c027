package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.UpdateCertificateRequest;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A certificate rotated through one node is served at once by a TERMINATED_HTTPS listener running on another: two
 * real server processes on one PostgreSQL database, with {@code FIBERLB_TLS_REFRESH_INTERVAL} at 10 minutes so the
 * periodic refresh cannot be what carries it; only the cluster pub-sub notice ({@code cluster/CertificateChanges})
 * can. The project's certificate entity (which writes the key store, and so rebuilds its own node's listeners) and
 * the API that takes the update are on node B; the load balancer runs on node A.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CertificateRotationClusterTest {
  ClusterNodes cluster;
  final TestServer.Client[] clients = new TestServer.Client[2];

  @BeforeAll
  void start() throws Exception {
    Map<String, String> common = new HashMap<>(Postgres.asEnvironment(Postgres.freshDatabase("certrotation")));
    common.put("FIBERLB_VIP_RANGE", "127.0.47.0/28");
    common.put("FIBERLB_LOG_LEVEL", "INFO");
    common.put("FIBERLB_TLS_REFRESH_INTERVAL", "10m");
    cluster = new ClusterNodes(2, common, Map.of());
    cluster.startAll();
    cluster.awaitOneCluster(ClusterNodes.FORMED);
    for (int i = 0; i < 2; i++) clients[i] = new TestServer.Client(cluster.node(i).grpcPort);
  }

  @AfterAll
  void stop() throws Exception {
    for (var c : clients) if (c != null) c.close();
    if (cluster != null) cluster.close();
  }

  @Test
  void aRotationThroughOneNodeIsServedAtOnceByAListenerOnAnother() throws Exception {
    Made ca = CertKit.ca("Rotation CA");
    Made first = CertKit.leaf(ca, Alg.EC, "www.example.test");
    Made rotated = CertKit.leaf(ca, Alg.EC, "www.example.test");
    var any = clients[0].as("rotation");
    String cert = any.call(any.certificates().createCertificate(), CreateCertificateRequest.newBuilder()
        .setName("web").setCertificatePem(ByteString.copyFromUtf8(first.certPem()))
        .setPrivateKeyPem(ByteString.copyFromUtf8(first.keyPem())).build()).getId();
    // Node B holds the project's certificate entity; node A is the other one.
    int b = Poll.until("a node to hold the project's certificate entity", Duration.ofSeconds(30), () -> {
      for (int i = 0; i < 2; i++) if (!cluster.node(i).shards("Certificates").isEmpty()) return i;
      return -1;
    }, i -> i >= 0);
    ClusterNodes.Node nodeA = cluster.node(1 - b);
    var apiB = clients[b].as("rotation");

    // A load balancer that runs on node A (load balancers spread over the shards: a few tries find one there).
    LoadBalancer lb = null;
    for (int i = 0; i < 16 && lb == null; i++) {
      LoadBalancer candidate = apiB.createLb("rotation-" + i);
      if (FailoverBench.owner(cluster, candidate.getId()) == nodeA) lb = candidate;
    }
    assertThat(lb).as("a load balancer placed on " + nodeA.name).isNotNull();
    String pool = apiB.call(apiB.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP)).build()).getId();
    int port = DataPlaneTest.freePort();
    apiB.call(apiB.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(port)
            .setDefaultPoolId(pool).setDefaultTlsContainerRef(cert)).build());
    String vip = lb.getVipAddress();
    X509Certificate served = Poll.until("node A's listener to serve the first certificate", Duration.ofSeconds(60),
        () -> handshake(ca.cert(), vip, port), c -> c != null);
    assertThat(served).isEqualTo(first.cert());
    assertThat(FailoverBench.owner(cluster, lb.getId())).as("the load balancer still runs on node A").isSameAs(nodeA);

    apiB.call(apiB.certificates().updateCertificate(), UpdateCertificateRequest.newBuilder().setId(cert)
        .setCertificatePem(ByteString.copyFromUtf8(rotated.certPem()))
        .setPrivateKeyPem(ByteString.copyFromUtf8(rotated.keyPem())).build());
    // Far within the 10 minute refresh: only the pub-sub notice can have carried it to node A.
    X509Certificate after = Poll.until("node A's listener to serve the rotated certificate (log " + nodeA.log() + ")",
        Duration.ofSeconds(20), () -> handshake(ca.cert(), vip, port), c -> rotated.cert().equals(c));
    assertThat(after).isEqualTo(rotated.cert());
  }

  /** The leaf served (a fresh client context per handshake: no resumption); null when the handshake failed. */
  private static X509Certificate handshake(X509Certificate ca, String host, int port) {
    SSLContext ctx = CertKit.clientContext(ca, null);
    try (var socket = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(host, port), 2000);
      socket.setSoTimeout(5000);
      var params = socket.getSSLParameters();
      params.setServerNames(List.of(new SNIHostName("www.example.test")));
      socket.setSSLParameters(params);
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    } catch (IOException e) {
      return null;
    }
  }
}
