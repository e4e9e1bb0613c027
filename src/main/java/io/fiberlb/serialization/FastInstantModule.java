package io.fiberlb.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import com.fasterxml.jackson.datatype.jsr310.ser.InstantSerializer;
import java.io.IOException;
import java.time.Instant;

/**
 * {@link Instant}s in events, snapshots and messages, in the same ISO text as {@code JavaTimeModule} writes them,
 * through {@link IsoInstant} instead of {@code java.time}'s formatter. Registered after {@code JavaTimeModule}
 * ({@code pekko.serialization.jackson.jackson-modules} in application.conf), so it takes precedence for
 * {@code Instant}; anything it does not handle itself (numeric timestamps, offsets, dates written as timestamps)
 * goes to {@code JavaTimeModule}'s own serializer and deserializer, so journals written before read the same.
 */
public final class FastInstantModule extends SimpleModule {
  public FastInstantModule() {
    super("fiberlb-fast-instant");
    addSerializer(Instant.class, new Writer());
    addDeserializer(Instant.class, new Reader());
  }

  static final class Writer extends StdSerializer<Instant> {
    Writer() {
      super(Instant.class);
    }

    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      if (provider.isEnabled(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)) {
        InstantSerializer.INSTANCE.serialize(value, gen, provider);
      } else {
        gen.writeString(IsoInstant.format(value));
      }
    }
  }

  static final class Reader extends StdScalarDeserializer<Instant> {
    Reader() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (p.hasToken(JsonToken.VALUE_STRING)) {
        Instant fast = IsoInstant.parse(p.getText());
        if (fast != null) return fast;
      }
      return InstantDeserializer.INSTANT.deserialize(p, ctx);
    }
  }
}
