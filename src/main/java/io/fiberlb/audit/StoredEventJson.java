package io.fiberlb.audit;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.serialization.IsoInstant;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A stored event's audit fields and its {@code details_json}, read straight from the Jackson CBOR bytes the journal
 * holds (RFC 8949): the CBOR is turned into JSON text in one pass over the bytes, and the few fields an audit line
 * names (type, time, actor, resource, ...) are picked up on the way. No Java objects are built: decoding an event
 * into records and writing it out again as JSON was most of the cost of an export, and even Jackson's own
 * token-by-token copy cost about 5 us an event (docs/benchmarks.md, "Audit").
 *
 * <p>The JSON is what Jackson's JSON generator writes for the same values (compact; strings escaped as Jackson
 * does: {@code \" \\ \b \t \n \f \r}, other control characters as a 4-digit hex escape with capital letters; everything else as is), so
 * {@code details_json} is the event exactly as it was recorded. For an event written by this version that is the
 * same text as writing the decoded event ({@code StoredEventJsonTest}); an event written before a field was added
 * simply lacks it. The audit RPCs use this for every event read from the journal tables, so they agree.
 *
 * <p>Only what Jackson writes for an event is handled: maps with text keys, arrays, text, integers, booleans and
 * null. Anything else (floats, byte strings, tags, chunked text, compressed payloads, a field an audit line needs
 * missing) answers empty, and the caller decodes the event the ordinary way.
 *
 * <p>Not thread-safe: one per thread.
 */
public final class StoredEventJson {
  /** The wire names of the event classes, from the {@code @JsonSubTypes} that the journal's bytes were written with. */
  private static final Map<String, Class<?>> EVENT_TYPES = new HashMap<>();

  static {
    for (JsonSubTypes.Type t : LoadBalancerEvent.class.getAnnotation(JsonSubTypes.class).value()) {
      EVENT_TYPES.put(t.name(), t.value());
    }
  }

  private static final int MAX_DEPTH = 64;

  // Keys whose values an audit line names: at the top of the event, or inside its "child" or "meta".
  private static final int K_OTHER = 0;
  private static final int K_TYPE = 1;
  private static final int K_KIND = 2;
  private static final int K_ID = 3;
  private static final int K_BACKEND_ID = 4;
  private static final int K_UP = 5;
  private static final int K_CHILD = 6;
  private static final int K_META = 7;
  private static final int K_CHILD_KIND = 8;
  private static final int K_AT = 9;
  private static final int K_ACTOR = 10;
  private static final int K_PEER = 11;
  private static final int K_REQUEST_ID = 12;
  private static final int K_COMMAND = 13;
  private static final int K_REASON = 14;
  private static final int K_CHILD_ID = 15;
  private static final byte[][] TOP_KEYS = keys("", "@type", "kind", "id", "backendId", "up", "child", "meta");
  private static final byte[][] CHILD_KEYS = keys("", "", "", "", "", "", "", "", "@kind", "", "", "", "", "", "",
      "id");
  private static final byte[][] META_KEYS = keys("", "", "", "", "", "", "", "", "", "at", "actor", "peer",
      "requestId", "command", "reason");

  private static byte[][] keys(String... names) {
    var out = new byte[names.length][];
    for (int i = 0; i < names.length; i++) out[i] = names[i].isEmpty() ? null : names[i].getBytes(StandardCharsets.UTF_8);
    return out;
  }

  /** Thrown (without a stack) when the bytes hold something this reader leaves to the decoder. */
  private static final RuntimeException UNSUPPORTED = new RuntimeException("not a plain CBOR event", null, false, false) {};

  private byte[] in;
  private int pos;
  /** The event's JSON text, reused from one event to the next. */
  private final AuditJson.Line out = new AuditJson.Line(2048);
  private final String[] found = new String[K_CHILD_ID + 1];
  private Boolean up;

  /** An event's line fields, as {@link AuditJson.Line#event} takes them. Valid until the next {@link #read}. */
  public record Fields(String type, long seconds, int nanos, String actor, String peer, String requestId, String command,
      String reason, String resourceKind, String resourceId, byte[] details, int detailsLength) {
    public Instant at() {
      return Instant.ofEpochSecond(seconds, nanos);
    }
  }

  /** Reads one stored event ({@code payload}: Jackson CBOR, as the journal holds it); empty if it cannot. */
  public Optional<Fields> read(byte[] payload, String lbId) {
    return transcode(payload) ? fields(lbId) : Optional.empty();
  }

  /** Only the JSON text of any CBOR map this reader handles, or null: for tests. */
  String json(byte[] payload) {
    return transcode(payload) ? new String(out.bytes(), 0, out.length(), StandardCharsets.UTF_8) : null;
  }

  private boolean transcode(byte[] payload) {
    in = payload;
    pos = 0;
    out.reset();
    Arrays.fill(found, null);
    up = null;
    try {
      if (payload.length == 0 || (payload[0] & 0xe0) != 0xa0) return false; // not a map: gzip, lz4, ...
      value(0, K_OTHER, TOP_KEYS);
      return pos == payload.length;
    } catch (RuntimeException e) { // UNSUPPORTED, or bytes cut short
      return false;
    }
  }

  /**
   * One data item, written as JSON. {@code key} is the key this value belongs to (for the fields picked up),
   * {@code keys} the table of interesting keys inside it if it is a map.
   */
  private void value(int depth, int key, byte[][] keys) {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    int ib = in[pos++] & 0xff;
    int major = ib >>> 5;
    int info = ib & 0x1f;
    switch (major) {
      case 0 -> {
        long n = argument(info);
        if (n >= 0) out.decimal(n);
        else out.ascii(Long.toUnsignedString(n));
      }
      case 1 -> {
        long n = argument(info);
        out.ascii(n >= 0 ? Long.toString(-1 - n)
            : BigInteger.ONE.negate().subtract(new BigInteger(Long.toUnsignedString(n))).toString());
      }
      case 3 -> {
        if (info == 31) throw UNSUPPORTED;
        int n = length(argument(info));
        if (key != K_OTHER && depth > 0) found[key] = new String(in, pos, n, StandardCharsets.UTF_8);
        out.jacksonString(in, pos, n);
        pos += n;
      }
      case 4 -> {
        out.put('[');
        if (info == 31) {
          for (int i = 0; in[pos] != (byte) 0xff; i++) {
            if (i > 0) out.put(',');
            value(depth + 1, K_OTHER, null);
          }
          pos++;
        } else {
          int n = length(argument(info));
          for (int i = 0; i < n; i++) {
            if (i > 0) out.put(',');
            value(depth + 1, K_OTHER, null);
          }
        }
        out.put(']');
      }
      case 5 -> {
        // The maps whose keys are looked at: the event itself, and its "child" and "meta".
        byte[][] inner = depth == 0 ? TOP_KEYS : depth == 1 && key == K_CHILD ? CHILD_KEYS
            : depth == 1 && key == K_META ? META_KEYS : null;
        out.put('{');
        if (info == 31) {
          for (int i = 0; in[pos] != (byte) 0xff; i++) entry(depth, i, inner);
          pos++;
        } else {
          int n = length(argument(info));
          for (int i = 0; i < n; i++) entry(depth, i, inner);
        }
        out.put('}');
      }
      case 7 -> {
        switch (info) {
          case 20 -> out.ascii("false");
          case 21 -> out.ascii("true");
          case 22 -> out.ascii("null");
          default -> throw UNSUPPORTED; // undefined, floats, simple values
        }
        if (key == K_UP && depth == 1 && (info == 20 || info == 21)) up = info == 21;
      }
      default -> throw UNSUPPORTED; // byte strings (2), tags (6)
    }
  }

  /** One key and its value; {@code keys} maps the keys this map's values are picked up for. */
  private void entry(int depth, int i, byte[][] keys) {
    if (i > 0) out.put(',');
    int ib = in[pos++] & 0xff;
    if (ib >>> 5 != 3 || (ib & 0x1f) == 31) throw UNSUPPORTED; // keys are text, not chunked
    int n = length(argument(ib & 0x1f));
    int key = K_OTHER;
    if (keys != null) {
      for (int k = 0; k < keys.length; k++) {
        byte[] name = keys[k];
        if (name != null && name.length == n && name[0] == in[pos] && Arrays.equals(in, pos, pos + n, name, 0, n)) {
          key = k;
          break;
        }
      }
    }
    out.jacksonString(in, pos, n);
    pos += n;
    out.put(':');
    value(depth + 1, key, null);
  }

  private long argument(int info) {
    if (info < 24) return info;
    int bytes = switch (info) {
      case 24 -> 1;
      case 25 -> 2;
      case 26 -> 4;
      case 27 -> 8;
      default -> throw UNSUPPORTED;
    };
    long v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | (in[pos++] & 0xff);
    return v;
  }

  private int length(long n) {
    if (n < 0 || n > in.length - pos) throw UNSUPPORTED; // more than the bytes left: not ours, or cut short
    return (int) n;
  }

  /** The audit names, worked out as {@link History#type}, {@link History#resourceKind} and {@link History#resourceId} do. */
  private Optional<Fields> fields(String lbId) {
    String type = found[K_TYPE];
    Class<?> cls = type == null ? null : EVENT_TYPES.get(type);
    Instant time = found[K_AT] == null ? null : IsoInstant.parse(found[K_AT]);
    if (cls == null || time == null || found[K_ACTOR] == null || found[K_PEER] == null || found[K_REQUEST_ID] == null
        || found[K_COMMAND] == null) {
      return Optional.empty();
    }
    String eventType;
    String kind;
    String id;
    if (cls == LoadBalancerEvent.ChildCreated.class || cls == LoadBalancerEvent.ChildUpdated.class) {
      Kind k = byField(found[K_CHILD_KIND]);
      if (k == null) return Optional.empty();
      eventType = k.typeName + (cls == LoadBalancerEvent.ChildCreated.class ? "Created" : "Updated");
      kind = k.field;
      id = found[K_CHILD_ID];
    } else if (cls == LoadBalancerEvent.ChildDeleted.class) {
      Kind k = byName(found[K_KIND]);
      if (k == null) return Optional.empty();
      eventType = k.typeName + "Deleted";
      kind = k.field;
      id = found[K_ID];
    } else if (cls == LoadBalancerEvent.BackendHealthChanged.class) {
      if (up == null) return Optional.empty();
      eventType = up ? "BackendUp" : "BackendDown";
      kind = "backend";
      id = found[K_BACKEND_ID];
    } else {
      eventType = "LoadBalancer" + cls.getSimpleName();
      kind = "load_balancer";
      id = lbId;
    }
    if (id == null) return Optional.empty();
    String reason = found[K_REASON];
    return Optional.of(new Fields(eventType, time.getEpochSecond(), time.getNano(), found[K_ACTOR], found[K_PEER],
        found[K_REQUEST_ID], found[K_COMMAND], reason == null ? "" : reason, kind, id, out.bytes(), out.length()));
  }

  private static Kind byField(String field) {
    for (Kind k : Kind.values()) if (k.field.equals(field)) return k;
    return null;
  }

  private static Kind byName(String name) {
    for (Kind k : Kind.values()) if (k.name().equals(name)) return k;
    return null;
  }
}
