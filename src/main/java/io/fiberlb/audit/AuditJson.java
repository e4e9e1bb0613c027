package io.fiberlb.audit;

import io.fiberlb.serialization.IsoInstant;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An audit event (the API's {@code AuditEvent}) as one line of JSON, exactly as protobuf's {@code JsonFormat} prints it with proto field
 * names, default values and no insignificant whitespace: the format of {@code audit events --json} (the CLI) and of
 * {@code ExportEvents} (the server renders the lines of an export); {@code OutputTest} holds the two to the same
 * bytes. Written by hand because an export prints millions of them and {@code JsonFormat}, which walks descriptors
 * and escapes with Gson, cost more than everything else per event.
 *
 * <p>Lines are written as UTF-8 into a {@link Line} buffer. The export writes the fields of a stored event straight
 * from its journal bytes ({@link StoredEventJson}); the API's messages go through {@code io.fiberlb.api.AuditEventLines}
 * (this package knows no API types). Both use {@link Line#event}, so the layout is in one place.
 */
public final class AuditJson {
  private AuditJson() {}

  /** A growing buffer of UTF-8 JSON text. */
  public static final class Line {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX_UPPER = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private byte[] buf;
    private int len;

    public Line(int capacity) {
      buf = new byte[Math.max(16, capacity)];
    }

    public byte[] bytes() {
      return buf;
    }

    public int length() {
      return len;
    }

    void reset() {
      len = 0;
    }

    /**
     * One event, as {@code JsonFormat} prints an {@code AuditEvent}: every field, 64-bit numbers in quotes, the
     * time in RFC 3339 (left out if {@code hasTime} is false), {@code details_json} given as UTF-8 JSON text.
     */
    public void event(long offset, String lbId, long sequenceNr, long version, String type, boolean hasTime, long seconds,
        int nanos, String actor, String peer, String requestId, String command, String reason, String resourceKind,
        String resourceId, byte[] details, int detailsFrom, int detailsTo) {
      ascii("{\"offset\":\"").decimal(offset);
      ascii("\",\"load_balancer_id\":").string(lbId);
      ascii(",\"sequence_nr\":\"").decimal(sequenceNr);
      ascii("\",\"version\":\"").decimal(version);
      ascii("\",\"type\":").string(type);
      if (hasTime) {
        if (seconds < -62_135_596_800L || seconds > 253_402_300_799L) {
          // Outside what JsonFormat accepts (years 1..9999); never written by FiberLB.
          throw new IllegalArgumentException("timestamp out of range: " + seconds + " s");
        }
        ascii(",\"time\":\"");
        ascii(IsoInstant.append(seconds, nanos, new StringBuilder(30)));
        ascii("\"");
      }
      ascii(",\"actor\":").string(actor);
      ascii(",\"peer\":").string(peer);
      ascii(",\"request_id\":").string(requestId);
      ascii(",\"command\":").string(command);
      ascii(",\"reason\":").string(reason);
      ascii(",\"resource_kind\":").string(resourceKind);
      ascii(",\"resource_id\":").string(resourceId);
      ascii(",\"details_json\":").utf8String(details, detailsFrom, detailsTo);
      ascii("}");
    }

    public Line newline() {
      return put('\n');
    }

    Line put(char c) {
      ensure(1);
      buf[len++] = (byte) c;
      return this;
    }

    void ensure(int more) {
      if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }

    Line ascii(CharSequence s) {
      int n = s.length();
      ensure(n);
      for (int i = 0; i < n; i++) buf[len++] = (byte) s.charAt(i);
      return this;
    }

    /** A number's decimal digits, written in place (no string made). */
    Line decimal(long v) {
      if (v < 0 || v > 999_999_999_999_999_999L) return ascii(Long.toString(v));
      ensure(19);
      int digits = 1;
      for (long x = v; x >= 10; x /= 10) digits++;
      for (int i = len + digits - 1; i >= len; i--) {
        buf[i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      len += digits;
      return this;
    }

    /**
     * A quoted JSON string, escaped as Gson does for {@code JsonFormat} (HTML-safe): quotes, backslash, control
     * characters, {@code < > & = '} and the two JavaScript line separators.
     */
    private Line string(String s) {
      ensure(s.length() * 6 + 2); // at most 6 bytes a char: an escape; UTF-8 takes 3, or 4 for a pair
      buf[len++] = '"';
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          if (plain(c)) {
            buf[len++] = (byte) c;
          } else {
            escape(c);
          }
        } else if (c == '\u2028' || c == '\u2029') {
          escape(c);
        } else if (c < 0x800) {
          buf[len++] = (byte) (0xc0 | c >> 6);
          buf[len++] = (byte) (0x80 | c & 0x3f);
        } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          buf[len++] = (byte) (0xf0 | cp >> 18);
          buf[len++] = (byte) (0x80 | cp >> 12 & 0x3f);
          buf[len++] = (byte) (0x80 | cp >> 6 & 0x3f);
          buf[len++] = (byte) (0x80 | cp & 0x3f);
        } else if (Character.isSurrogate(c)) {
          buf[len++] = '?'; // an unpaired surrogate, as Java's and protobuf's UTF-8 encoders write it
        } else {
          buf[len++] = (byte) (0xe0 | c >> 12);
          buf[len++] = (byte) (0x80 | c >> 6 & 0x3f);
          buf[len++] = (byte) (0x80 | c & 0x3f);
        }
      }
      ensure(1);
      buf[len++] = '"';
      return this;
    }

    /**
     * The same escaping for text that is UTF-8 already (the JSON of an event), a byte at a time: runs between
     * escapes are short in JSON (every quote is one), too short for {@code arraycopy} to pay.
     */
    private Line utf8String(byte[] s, int from, int to) {
      ensure((to - from) * 6 + 2);
      byte[] b = buf;
      int n = len;
      b[n++] = '"';
      for (int i = from; i < to; i++) {
        byte c = s[i];
        if (c >= 0 ? PLAIN[c]
            : !(c == (byte) 0xe2 && i + 2 < to && s[i + 1] == (byte) 0x80 && (s[i + 2] == (byte) 0xa8
                || s[i + 2] == (byte) 0xa9))) {
          b[n++] = c;
          continue;
        }
        len = n;
        if (c >= 0) {
          escape((char) c);
        } else {
          escape(s[i + 2] == (byte) 0xa8 ? '\u2028' : '\u2029');
          i += 2;
        }
        n = len;
      }
      b[n++] = '"';
      len = n;
      return this;
    }

    /**
     * UTF-8 text (a CBOR text string) as a JSON string, escaped as Jackson's JSON generator escapes it, the way
     * {@code details_json} has always been written: {@code \" \\ \b \t \n \f \r}, other control characters as a
     * 4-digit escape with capital hex letters, everything else as is. A byte at a time: runs are short.
     */
    void jacksonString(byte[] s, int from, int n) {
      ensure(n * 6 + 2);
      byte[] o = buf;
      int k = len;
      o[k++] = '"';
      int end = from + n;
      for (int i = from; i < end; i++) {
        byte b = s[i];
        if (b >= 0x20 && b != '"' && b != '\\' || b < 0) {
          o[k++] = b;
          continue;
        }
        o[k++] = '\\';
        switch (b) {
          case '"' -> o[k++] = '"';
          case '\\' -> o[k++] = '\\';
          case '\b' -> o[k++] = 'b';
          case '\t' -> o[k++] = 't';
          case '\n' -> o[k++] = 'n';
          case '\f' -> o[k++] = 'f';
          case '\r' -> o[k++] = 'r';
          default -> {
            o[k++] = 'u';
            o[k++] = '0';
            o[k++] = '0';
            o[k++] = HEX_UPPER[b >> 4];
            o[k++] = HEX_UPPER[b & 0xf];
          }
        }
      }
      o[k++] = '"';
      len = k;
    }

    /** ASCII characters written as they are; the others are escaped. */
    private static final boolean[] PLAIN = new boolean[128];

    static {
      for (char c = 0x20; c < 128; c++) PLAIN[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != '=' && c != '\'';
    }

    private static boolean plain(char c) {
      return PLAIN[c];
    }

    private void escape(char c) {
      ensure(6);
      switch (c) {
        case '"' -> two('"');
        case '\\' -> two('\\');
        case '\t' -> two('t');
        case '\b' -> two('b');
        case '\n' -> two('n');
        case '\r' -> two('r');
        case '\f' -> two('f');
        default -> {
          buf[len++] = '\\';
          buf[len++] = 'u';
          buf[len++] = HEX[c >> 12 & 0xf];
          buf[len++] = HEX[c >> 8 & 0xf];
          buf[len++] = HEX[c >> 4 & 0xf];
          buf[len++] = HEX[c & 0xf];
        }
      }
    }

    private void two(char c) {
      buf[len++] = '\\';
      buf[len++] = (byte) c;
    }
  }
}
