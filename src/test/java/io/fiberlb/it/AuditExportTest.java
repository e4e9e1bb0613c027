package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.ExportEventsRequest;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.StreamEventsRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The export read in many windows at once and across the settled edge: with windows of 3 events and history
 * settled after 1 s, a project whose older events are read from the tables (several windows side by side) and
 * whose newest ones come through the read journal exports every event exactly once, in journal order, as the same
 * lines StreamEvents gives; and from an offset inside a window, and from a time, only what follows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditExportTest {
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of("fiberlb.audit.page-size", 3, "fiberlb.audit.settled-after", "1s"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static List<AuditEvent> projectStream(TestServer.Api api) throws Exception {
    return api.stream(api.audit().streamEvents(), StreamEventsRequest.getDefaultInstance())
        .runWith(Sink.seq(), api.system()).toCompletableFuture().get();
  }

  private static long eventsOf(TestServer.Api api, String lb) {
    return api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).setPageSize(1000)
        .build()).getEventsCount();
  }

  @Test
  void everyEventOnceInOrderAcrossWindowsAndTheSettledEdge() throws Exception {
    var api = server.as("export-windows");
    String a = api.createLb("a").getId();
    String b = api.createLb("b").getId();
    for (int i = 0; i < 6; i++) api.createPool(i % 2 == 0 ? a : b, "old" + i);
    // Let those settle (older than settled-after): they are read from the tables, 3 a window.
    Instant settled = Instant.now().plusMillis(1200);
    Poll.until(Duration.ofSeconds(5), Instant::now, now -> now.isAfter(settled));
    for (int i = 0; i < 4; i++) api.createPool(i % 2 == 0 ? a : b, "young" + i);

    long expected = eventsOf(api, a) + eventsOf(api, b);
    var all = Poll.until(Duration.ofSeconds(10), () -> {
      try {
        return projectStream(api);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, events -> events.size() == expected);
    assertThat(all).hasSize((int) expected);
    assertThat(all).extracting(AuditEvent::getOffset).isSorted().doesNotHaveDuplicates();

    assertThat(AuditTest.export(api, 0)).isEqualTo(AuditTest.jsonLines(all));
    // From an offset inside a window (the 5th event's), and from the time of the 8th.
    assertThat(AuditTest.export(api, all.get(4).getOffset())).isEqualTo(AuditTest.jsonLines(all.subList(5, all.size())));
    Timestamp t = all.get(7).getTime();
    var fromTime = all.stream().filter(e -> !Instant.ofEpochSecond(e.getTime().getSeconds(), e.getTime().getNanos())
        .isBefore(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()))).toList();
    assertThat(fromTime).hasSizeGreaterThanOrEqualTo(all.size() - 7);
    assertThat(AuditTest.export(api, ExportEventsRequest.newBuilder().setFromTime(t).build()))
        .isEqualTo(AuditTest.jsonLines(fromTime));
  }
}
