package io.fiberlb.audit;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.serialization.IsoInstant;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A stored event's audit fields and its {@code details_json}, read straight from the Jackson CBOR bytes the journal
 * holds: the CBOR is copied token by token to JSON (the same JSON generator {@code details_json} is written with),
 * and the few fields an audit line names (type, time, actor, resource, ...) are picked up on the way. No Java
 * objects are built: decoding an event into records and writing it out again as JSON was most of the cost of an
 * export (docs/benchmarks.md, "Audit").
 *
 * <p>{@code details_json} is therefore the event exactly as it was recorded. For an event written by this version
 * that is the same text as writing the decoded event; an event written before a field was added simply lacks the
 * field. The audit RPCs use this for every event read from the journal tables, so they agree with each other.
 *
 * <p>Not thread-safe: one per thread (a chunk of an export, one call).
 */
final class StoredEventJson {
  /** The wire names of the event classes, from the {@code @JsonSubTypes} that the journal's bytes were written with. */
  private static final Map<String, Class<?>> EVENT_TYPES = new HashMap<>();

  static {
    for (JsonSubTypes.Type t : LoadBalancerEvent.class.getAnnotation(JsonSubTypes.class).value()) {
      EVENT_TYPES.put(t.name(), t.value());
    }
  }

  private final CBORFactory cbor;
  private final ObjectMapper json;
  private final Scratch details = new Scratch();

  // What one event said, reset for each.
  private String type;
  private String childKind;
  private String childId;
  private String deletedKind;
  private String deletedId;
  private String backendId;
  private Boolean up;
  private String at;
  private String actor;
  private String peer;
  private String requestId;
  private String command;
  private String reason;

  /**
   * @param cbor reads the journal's bytes (a plain factory: the parser needs nothing of Pekko's configuration)
   * @param json the {@code jackson-json} mapper {@code details_json} is written with
   */
  StoredEventJson(CBORFactory cbor, ObjectMapper json) {
    this.cbor = cbor;
    this.json = json;
  }

  /** An event's line fields, as {@link AuditJson.Line#event} takes them. Valid until the next {@link #read}. */
  record Fields(String type, long seconds, int nanos, String actor, String peer, String requestId, String command,
      String reason, String resourceKind, String resourceId, byte[] details, int detailsLength) {
    Instant at() {
      return Instant.ofEpochSecond(seconds, nanos);
    }
  }

  /**
   * Reads one stored event ({@code payload}: Jackson CBOR, as the journal holds it). Empty when the bytes are not
   * a plain CBOR event of a shape this class knows (compressed, another serializer, a field it needs missing):
   * the caller then decodes the event the ordinary way.
   */
  java.util.Optional<Fields> read(byte[] payload, String lbId) {
    if (payload.length == 0 || (payload[0] & 0xff) < 0xa0 || (payload[0] & 0xff) > 0xbf) {
      return java.util.Optional.empty(); // not a CBOR map: gzip or lz4 (Pekko's compression), or something else
    }
    type = childKind = childId = deletedKind = deletedId = backendId = at = actor = peer = requestId = command = null;
    reason = null;
    up = null;
    details.reset();
    try (JsonParser p = cbor.createParser(payload); JsonGenerator g = json.createGenerator(details, JsonEncoding.UTF8)) {
      int depth = 0;
      String top = null;
      String inner = null;
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        switch (t) {
          case START_OBJECT, START_ARRAY -> depth++;
          case END_OBJECT, END_ARRAY -> depth--;
          case FIELD_NAME -> {
            if (depth == 1) top = p.currentName();
            else if (depth == 2) inner = p.currentName();
          }
          case VALUE_STRING -> take(depth, top, inner, p.getText());
          case VALUE_TRUE, VALUE_FALSE -> {
            if (depth == 1 && "up".equals(top)) up = t == JsonToken.VALUE_TRUE;
          }
          case VALUE_EMBEDDED_OBJECT, NOT_AVAILABLE -> {
            return java.util.Optional.empty(); // binary or a tag: not a shape an event has
          }
          default -> { }
        }
        g.copyCurrentEvent(p);
      }
      g.flush();
    } catch (IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
    return fields(lbId);
  }

  private void take(int depth, String top, String inner, String value) {
    if (depth == 1) {
      switch (top) {
        case "@type" -> type = value;
        case "kind" -> deletedKind = value;
        case "id" -> deletedId = value;
        case "backendId" -> backendId = value;
        default -> { }
      }
    } else if (depth == 2 && "child".equals(top)) {
      if ("@kind".equals(inner)) childKind = value;
      else if ("id".equals(inner)) childId = value;
    } else if (depth == 2 && "meta".equals(top)) {
      switch (inner) {
        case "at" -> at = value;
        case "actor" -> actor = value;
        case "peer" -> peer = value;
        case "requestId" -> requestId = value;
        case "command" -> command = value;
        case "reason" -> reason = value;
        default -> { }
      }
    }
  }

  /** The audit names, worked out as {@link History#type}, {@link History#resourceKind} and {@link History#resourceId} do. */
  private java.util.Optional<Fields> fields(String lbId) {
    Class<?> cls = type == null ? null : EVENT_TYPES.get(type);
    Instant time = at == null ? null : IsoInstant.parse(at);
    if (cls == null || time == null || actor == null || peer == null || requestId == null || command == null) {
      return java.util.Optional.empty();
    }
    String eventType;
    String kind;
    String id;
    if (cls == LoadBalancerEvent.ChildCreated.class || cls == LoadBalancerEvent.ChildUpdated.class) {
      Kind k = byField(childKind);
      if (k == null || childId == null) return java.util.Optional.empty();
      eventType = k.typeName + (cls == LoadBalancerEvent.ChildCreated.class ? "Created" : "Updated");
      kind = k.field;
      id = childId;
    } else if (cls == LoadBalancerEvent.ChildDeleted.class) {
      Kind k = byName(deletedKind);
      if (k == null || deletedId == null) return java.util.Optional.empty();
      eventType = k.typeName + "Deleted";
      kind = k.field;
      id = deletedId;
    } else if (cls == LoadBalancerEvent.BackendHealthChanged.class) {
      if (up == null || backendId == null) return java.util.Optional.empty();
      eventType = up ? "BackendUp" : "BackendDown";
      kind = "backend";
      id = backendId;
    } else {
      eventType = "LoadBalancer" + cls.getSimpleName();
      kind = "load_balancer";
      id = lbId;
    }
    return java.util.Optional.of(new Fields(eventType, time.getEpochSecond(), time.getNano(), actor, peer, requestId,
        command, reason == null ? "" : reason, kind, id, details.buf, details.len));
  }

  private static Kind byField(String field) {
    for (Kind k : Kind.values()) if (k.field.equals(field)) return k;
    return null;
  }

  private static Kind byName(String name) {
    for (Kind k : Kind.values()) if (k.name().equals(name)) return k;
    return null;
  }

  /** A reusable byte buffer the JSON generator writes into. */
  private static final class Scratch extends OutputStream {
    byte[] buf = new byte[2048];
    int len;

    void reset() {
      len = 0;
    }

    @Override
    public void write(int b) {
      if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
      buf[len++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int n) {
      if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
      System.arraycopy(b, off, buf, len, n);
      len += n;
    }
  }
}
