package io.fiberlb.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

/**
 * The audit's hand-written CBOR-to-JSON reader of stored events under coverage-guided fuzzing: on any bytes it
 * answers an event or "cannot" (empty), never an exception, and what it answers is well-formed JSON.
 */
class StoredEventJsonFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final StoredEventJson reader = new StoredEventJson();

  @FuzzTest(maxDuration = "5s")
  void anyBytesReadAsAnEventOrNothing(byte[] payload) throws Exception {
    var fields = reader.read(payload, "lb-1");
    if (fields.isPresent()) {
      String details = new String(fields.get().details(), 0, fields.get().detailsLength(), StandardCharsets.UTF_8);
      assertThat(JSON.readTree(details)).isNotNull();
    }
  }
}
