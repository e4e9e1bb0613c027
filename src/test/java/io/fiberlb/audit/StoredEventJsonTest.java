package io.fiberlb.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.controlplane.EventCompatibilityTest;
import io.fiberlb.controlplane.LoadBalancerEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Reading an event's audit fields straight from its stored bytes gives what decoding it gives: the same type,
 * time, actor, resource, ..., and as details the event as stored (for a shape this build writes: the same text as
 * writing the decoded event). Checked on every shape ever stored (the event fixtures) and on every shape written now.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoredEventJsonTest {
  private ActorSystem system;
  private Serialization serialization;
  private ObjectMapper json;
  private StoredEventJson stored;

  @BeforeAll
  void start() {
    system = ActorSystem.create("stored", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    serialization = SerializationExtension.get(system);
    json = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    stored = new StoredEventJson();
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    scala.concurrent.Await.result(system.whenTerminated(), scala.concurrent.duration.Duration.create(30, "s"));
  }

  private void sameAsDecoded(String name, byte[] bytes, LoadBalancerEvent e) throws Exception {
    var f = stored.read(bytes, "lb-9").orElseThrow(() -> new AssertionError(name + ": not read as stored"));
    assertThat(f.type()).as(name).isEqualTo(History.type(e));
    assertThat(f.resourceKind()).as(name).isEqualTo(History.resourceKind(e));
    assertThat(f.resourceId()).as(name).isEqualTo(History.resourceId(e, "lb-9"));
    assertThat(f.at()).as(name).isEqualTo(e.meta().at());
    assertThat(f.actor()).as(name).isEqualTo(e.meta().actor());
    assertThat(f.peer()).as(name).isEqualTo(e.meta().peer());
    assertThat(f.requestId()).as(name).isEqualTo(e.meta().requestId());
    assertThat(f.command()).as(name).isEqualTo(e.meta().command());
    assertThat(f.reason()).as(name).isEqualTo(e.meta().reason());
    String details = new String(f.details(), 0, f.detailsLength(), StandardCharsets.UTF_8);
    // The event as stored, field for field.
    assertThat(json.readTree(details)).as(name).isEqualTo(new CBORMapper().readTree(bytes));
  }

  @Test
  void everyStoredEventShapeReadsAsDecodingItWould() throws Exception {
    int events = 0;
    for (String line : EventCompatibilityTest.fixtureLines()) {
      String[] f = line.split("\t");
      byte[] bytes = Base64.getDecoder().decode(f[3]);
      Object read = serialization.deserialize(bytes, Integer.parseInt(f[1]), f[2]).get();
      if (read instanceof LoadBalancerEvent e) {
        sameAsDecoded(f[0], bytes, e);
        events++;
      }
    }
    assertThat(events).isGreaterThan(10);
  }

  @Test
  void anEventThisBuildWritesHasTheSameDetailsAsWritingTheDecodedEvent() throws Exception {
    int events = 0;
    for (var s : EventCompatibilityTest.samples().entrySet()) {
      if (!(s.getValue() instanceof LoadBalancerEvent e)) continue;
      byte[] bytes = serialization.serialize(e).get();
      sameAsDecoded(s.getKey(), bytes, e);
      var f = stored.read(bytes, "lb-9").orElseThrow();
      assertThat(new String(f.details(), 0, f.detailsLength(), StandardCharsets.UTF_8)).as(s.getKey())
          .isEqualTo(json.writeValueAsString(e));
      events++;
    }
    assertThat(events).isEqualTo(EventCompatibilityTest.samples().values().stream()
        .filter(v -> v instanceof LoadBalancerEvent).count());
  }

  /** Random values of every kind an event holds, with strings full of what needs escaping. */
  private static Object randomValue(java.util.Random r, int depth) {
    int pick = depth > 3 ? r.nextInt(5) : r.nextInt(7);
    return switch (pick) {
      case 0 -> randomString(r);
      case 1 -> switch (r.nextInt(6)) {
        case 0 -> Long.MAX_VALUE;
        case 1 -> Long.MIN_VALUE;
        case 2 -> (long) r.nextInt(30) - 15;
        case 3 -> r.nextInt();
        default -> r.nextLong() >> r.nextInt(64);
      };
      case 2 -> r.nextBoolean();
      case 3 -> null;
      case 4 -> "";
      case 5 -> {
        var list = new java.util.ArrayList<Object>();
        for (int i = r.nextInt(4); i > 0; i--) list.add(randomValue(r, depth + 1));
        yield list;
      }
      default -> randomMap(r, depth + 1);
    };
  }

  private static java.util.Map<String, Object> randomMap(java.util.Random r, int depth) {
    var map = new java.util.LinkedHashMap<String, Object>();
    for (int i = r.nextInt(5); i > 0; i--) map.put(randomString(r), randomValue(r, depth));
    return map;
  }

  private static String randomString(java.util.Random r) {
    String pool = "ab\"\\/\b\t\n\f\r\u0000\u0001\u001f\u007f<>&='\u00e9\u4e2d\u2028\u2029\ud83d\ude00 z";
    var sb = new StringBuilder();
    for (int i = r.nextInt(12); i > 0; i--) {
      char c = pool.charAt(r.nextInt(pool.length()));
      if (Character.isHighSurrogate(c)) sb.append(c).append('\ude00');
      else if (!Character.isLowSurrogate(c)) sb.append(c);
    }
    return sb.toString();
  }

  @Test
  void theJsonIsWhatJacksonWritesForTheSameValues() throws Exception {
    var r = new java.util.Random(11);
    var cbor = new CBORMapper();
    for (int i = 0; i < 5_000; i++) {
      var map = randomMap(r, 0);
      byte[] bytes = cbor.writeValueAsBytes(map);
      assertThat(stored.json(bytes)).as("%s", map).isEqualTo(json.writeValueAsString(map));
    }
  }

  @Test
  void bytesItCannotReadAsStoredAreLeftToTheDecoder() throws Exception {
    var e = (LoadBalancerEvent) EventCompatibilityTest.samples().get("ChildCreated.listener");
    byte[] bytes = serialization.serialize(e).get();
    assertThat(stored.read(new byte[] {0x1f, (byte) 0x8b, 8, 0}, "lb")).as("gzip").isEmpty();
    assertThat(stored.read(new byte[0], "lb")).as("empty").isEmpty();
    assertThat(stored.read(Arrays.copyOf(bytes, bytes.length / 2), "lb")).as("cut short").isEmpty();
    // A shape it does not know (no meta) is not guessed at.
    assertThat(stored.read(new CBORMapper().writeValueAsBytes(java.util.Map.of("@type", "ChildCreated")), "lb"))
        .isEmpty();
    // Floats, byte strings and big numbers are not in events: left to the decoder, not guessed at.
    var cbor = new CBORMapper();
    assertThat(stored.json(cbor.writeValueAsBytes(java.util.Map.of("x", 1.5)))).isNull();
    assertThat(stored.json(cbor.writeValueAsBytes(java.util.Map.of("x", new byte[] {1})))).isNull();
    assertThat(stored.json(cbor.writeValueAsBytes(java.util.Map.of("x", java.math.BigInteger.TEN.pow(30))))).isNull();
    // And after all that, a good one still reads.
    assertThat(stored.read(bytes, "lb")).isPresent();
  }
}
