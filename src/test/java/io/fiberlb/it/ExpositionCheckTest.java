package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The checker itself: it takes a valid exposition and finds each kind of fault. */
class ExpositionCheckTest {
  private static final String VALID = """
      # HELP a_total Things.
      # TYPE a_total counter
      a_total{x="1",y="q\\"uote\\\\d\\n"} 3
      a_total{x="2"} 4.5e3
      # HELP g A gauge.
      # TYPE g gauge
      g -1
      # HELP h_seconds Time.
      # TYPE h_seconds histogram
      h_seconds_bucket{m="a",le="0.1"} 1
      h_seconds_bucket{m="a",le="1.0"} 2
      h_seconds_bucket{m="a",le="+Inf"} 2
      h_seconds_count{m="a"} 2
      h_seconds_sum{m="a"} 0.5
      # HELP i_info Names.
      # TYPE i_info gauge
      i_info{name="web, front"} 1
      """;

  @Test
  void aValidExpositionReadsIntoFamilies() {
    var families = ExpositionCheck.check(VALID);
    assertThat(families).containsOnlyKeys("a_total", "g", "h_seconds", "i_info");
    assertThat(families.get("a_total").series()).hasSize(2);
    assertThat(families.get("h_seconds").type()).isEqualTo("histogram");
  }

  private static void refused(String text, String says) {
    assertThatThrownBy(() -> ExpositionCheck.check(text)).isInstanceOf(AssertionError.class).hasMessageContaining(says);
  }

  @Test
  void eachFaultIsFound() {
    refused(VALID + "g -2\n", "not next to the other samples of g");
    refused(VALID.replace("g -1", "g -1\ng 2"), "a second sample of the series g{}");
    refused(VALID.replace("# TYPE g gauge\n", ""), "g: no TYPE for this sample");
    refused(VALID.replace("# HELP g A gauge.\n", ""), "g: no HELP");
    refused(VALID.replace("a_total", "a"), "counter names should end in _total");
    refused(VALID.replace("x=\"2\"", "2x=\"2\""), "bad label name");
    refused(VALID.replace("x=\"2\"", "x=\"2\\t\""), "bad escape");
    refused(VALID.replace("x=\"2\"", "x=\"2\",x=\"3\""), "label x twice");
    refused(VALID.replace("g -1", "g one"), "bad value 'one'");
    refused(VALID.replace("le=\"1.0\"} 2", "le=\"1.0\"} 0"), "is below the one before it");
    refused(VALID.replace("h_seconds_count{m=\"a\"} 2", "h_seconds_count{m=\"a\"} 3"), "differs from _count");
    refused(VALID.replace("h_seconds_bucket{m=\"a\",le=\"+Inf\"} 2\n", ""), "no +Inf bucket");
    refused(VALID.replace("# TYPE g gauge", "# TYPE g gauge\n# TYPE g gauge"), "a second TYPE");
    refused(VALID.replace("# TYPE g gauge", "# TYPE g meter"), "unknown type meter");
    refused(VALID.replace("g -1", "g_extra -1"), "no TYPE for this sample");
    refused(VALID.replace("h_seconds_sum", "h_seconds_total"), "no TYPE for this sample");
    refused(VALID.replace("a_total{x=\"1\"", "a_total{__x=\"1\""), "reserved label name");
    refused(VALID.stripTrailing(), "does not end with a newline");
  }
}
