package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollTest {
  @Test
  void returnsTheFirstValueThatHolds() {
    var n = new AtomicInteger();
    assertThat(Poll.until(Duration.ofSeconds(5), n::incrementAndGet, x -> x >= 3)).isEqualTo(3);
  }

  @Test
  void aPassedDeadlineFailsHereNamingWhatWasAwaitedAndTheLastValue() {
    assertThatThrownBy(() -> Poll.until("listener ONLINE", Duration.ofMillis(120), () -> "ERROR", s -> s.equals("ONLINE")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("listener ONLINE").hasMessageContaining("120 ms").hasMessageContaining("ERROR");
  }

  @Test
  void lastUntilHandsBackTheLastValueWithoutFailing() {
    assertThat(Poll.lastUntil(Duration.ofMillis(100), () -> "still", s -> s.equals("never"))).isEqualTo("still");
  }
}
