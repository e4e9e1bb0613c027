package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.port.StatsSnapshot;
import io.fiberlb.port.TrafficStats;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A dry run's answer crosses the cluster when the API runs on another node than the load balancer: it serializes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DryRunReplySerializationTest {
  private ActorSystem system;
  private Serialization serialization;

  @BeforeAll
  void start() {
    system = ActorSystem.create("dry-run", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    serialization = SerializationExtension.get(system);
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    scala.concurrent.Await.result(system.whenTerminated(), scala.concurrent.duration.Duration.create(30, "s"));
  }

  @Test
  void aDryRunReplyReadsBackEqual() throws Exception {
    Instant t = Instant.parse("2026-12-07T10:00:00Z");
    var info = new LoadBalancerInfo("lb", "o", "p", "web", "", "127.0.10.7", "127.0.10.0/24", true, List.of(), t, t);
    var kids = new LinkedHashMap<String, Child>();
    kids.put("p", new Pool("p", "p", "", Enums.Protocol.TCP, Enums.LbAlgorithm.MAGLEV,
        Enums.SessionPersistenceType.NONE, 0, "", true, List.of(), 1, 1, t, t));
    for (int i = 1; i <= 3; i++) {
      kids.put("b" + i, new Backend("b" + i, "p", "", "10.0.0." + i, 8080, 1, true, false, 0, List.of(), 2, 2, t, t));
    }
    kids.put("l", new Listener("l", "l", "", Enums.Protocol.TCP, 80, "p", -1, 1, 1, 1, List.of(), true, List.of(), 3,
        3, t, t));
    Active before = new Active(info, 5, kids, Map.of(), Map.of());
    LoadBalancerState after = before.apply(new LoadBalancerEvent.ChildDeleted(Enums.Kind.BACKEND, "b2", List.of(),
        EventMeta.system("", "DeleteBackend", "")));
    var stats = new StatsSnapshot("node", List.of(new TrafficStats("l", 3, 9, 1, 2, 0, 0, 0)),
        List.of(new TrafficStats("b2", 2, 5, 1, 2, 0, 0, 0)));
    var reply = DryRuns.of(before, after, new LoadBalancerEntity.DeletedReply(6), stats, Map.of("l", "port taken"));
    assertThat(reply.disruption().pools()).hasSize(1);
    assertThat(reply.disruption().connections()).hasSize(1);

    byte[] bytes = serialization.serialize(reply).get();
    var ser = serialization.findSerializerFor(reply);
    Object read = serialization.deserialize(bytes, ser.identifier(), Serializers.manifestFor(ser, reply)).get();
    assertThat(read).isEqualTo(reply);
  }
}
