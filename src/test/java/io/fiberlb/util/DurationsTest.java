package io.fiberlb.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void parsesWhatPeopleWrite() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse(" 2d ")).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void refusesWithTheAcceptedForms() {
    for (String bad : new String[] {"", "2", "s", "2 s", "2x", "-1s", "1s2"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("write it like 500ms, 2s, 1m30s, 1h");
    }
  }

  @Test
  void formatsShortestExact() {
    assertThat(Durations.formatMillis(0)).isEqualTo("0s");
    assertThat(Durations.formatMillis(250)).isEqualTo("250ms");
    assertThat(Durations.formatMillis(1500)).isEqualTo("1.5s");
    assertThat(Durations.formatMillis(90_000)).isEqualTo("1m30s");
    assertThat(Durations.formatMillis(86_400_000)).isEqualTo("24h");
    assertThat(Durations.formatMillis(3_600_050)).isEqualTo("1h0.05s");
  }
}
