package io.fiberlb.audit;

import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.AuditEvent;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * An {@link AuditEvent} as one line of JSON, exactly as protobuf's {@code JsonFormat} prints it with proto field
 * names, default values and no insignificant whitespace: the format of {@code audit events --json} (the CLI) and of
 * {@code ExportEvents} (the server renders the lines of an export); {@code OutputTest} holds the two to the same
 * bytes. Written by hand because an export prints millions of them and {@code JsonFormat}, which walks descriptors
 * and escapes with Gson, cost more than everything else per event.
 */
public final class AuditJson {
  private AuditJson() {}

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** The line, without its newline. */
  public static void append(AuditEvent e, StringBuilder out) {
    out.append("{\"offset\":\"").append(e.getOffset()).append('"');
    string(out, ",\"load_balancer_id\":", e.getLoadBalancerId());
    out.append(",\"sequence_nr\":\"").append(e.getSequenceNr()).append('"');
    out.append(",\"version\":\"").append(e.getVersion()).append('"');
    string(out, ",\"type\":", e.getType());
    if (e.hasTime()) {
      out.append(",\"time\":\"");
      timestamp(out, e.getTime());
      out.append('"');
    }
    string(out, ",\"actor\":", e.getActor());
    string(out, ",\"peer\":", e.getPeer());
    string(out, ",\"request_id\":", e.getRequestId());
    string(out, ",\"command\":", e.getCommand());
    string(out, ",\"reason\":", e.getReason());
    string(out, ",\"resource_kind\":", e.getResourceKind());
    string(out, ",\"resource_id\":", e.getResourceId());
    string(out, ",\"details_json\":", e.getDetailsJson());
    out.append('}');
  }

  private static void string(StringBuilder out, String name, String value) {
    out.append(name).append('"');
    // Runs of characters that need no escape are copied whole (most of details_json): a char at a time was a
    // fifth of the export's CPU.
    int run = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != '=' && c != '\''
          && c != '\u2028' && c != '\u2029') {
        continue;
      }
      out.append(value, run, i);
      run = i + 1;
      // Gson's HTML-safe escaping, as JsonFormat uses it: quotes, backslash, control characters, < > & = ' and the
      // two JavaScript line separators.
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\f' -> out.append("\\f");
        default -> unicode(out, c);
      }
    }
    out.append(value, run, value.length()).append('"');
  }

  private static void unicode(StringBuilder out, char c) {
    out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
  }

  /** RFC 3339 in UTC with 0, 3, 6 or 9 digits of fraction, as protobuf's {@code Timestamps.toString}. */
  private static void timestamp(StringBuilder out, Timestamp t) {
    LocalDateTime d = LocalDateTime.ofEpochSecond(t.getSeconds(), 0, ZoneOffset.UTC);
    if (d.getYear() < 1 || d.getYear() > 9999) {
      // Outside what JsonFormat accepts; never written by FiberLB. Leave it to JsonFormat's own error.
      throw new IllegalArgumentException("timestamp out of range: " + Instant.ofEpochSecond(t.getSeconds()));
    }
    pad(out, d.getYear(), 4).append('-');
    pad(out, d.getMonthValue(), 2).append('-');
    pad(out, d.getDayOfMonth(), 2).append('T');
    pad(out, d.getHour(), 2).append(':');
    pad(out, d.getMinute(), 2).append(':');
    pad(out, d.getSecond(), 2);
    int nanos = t.getNanos();
    if (nanos != 0) {
      out.append('.');
      if (nanos % 1_000_000 == 0) pad(out, nanos / 1_000_000, 3);
      else if (nanos % 1_000 == 0) pad(out, nanos / 1_000, 6);
      else pad(out, nanos, 9);
    }
    out.append('Z');
  }

  private static StringBuilder pad(StringBuilder out, int value, int digits) {
    String s = Integer.toString(value);
    for (int i = s.length(); i < digits; i++) out.append('0');
    return out.append(s);
  }
}
