package io.fiberlb.cli;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.BackendStatus;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.DiffLoadBalancerResponse;
import io.fiberlb.api.v1.HealthCheckStatus;
import io.fiberlb.api.v1.ListenerStatus;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.LoadBalancerStats;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.fiberlb.api.v1.PoolStatus;
import io.fiberlb.api.v1.TrafficStats;
import io.fiberlb.cli.OutputOptions.Format;
import io.fiberlb.util.Durations;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How replies are shown, in the format of {@code -f} ({@link Format}) with the columns of {@code -c}: tables made
 * from the message descriptors, so the five kinds share one renderer, and the audit lines (events, changes, a
 * past tree); the reply as JSON (proto field names, every field) or YAML, and for a stream of audit events one
 * JSON object per line; or only the values. What is not the answer (an empty list, no events) goes to stderr.
 */
final class Output {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().includingDefaultValueFields();
  private static final String NONE = "-";

  private final PrintWriter out;
  private final PrintWriter err;
  private final Format format;
  private final List<String> columns;

  Output(PrintWriter out, boolean json) {
    this(out, new PrintWriter(java.io.Writer.nullWriter()), json ? Format.JSON : Format.TABLE, List.of());
  }

  /**
   * @param out where answers go (stdout)
   * @param err where remarks about them go (stderr)
   * @param columns the fields {@code -c} asked for, in order; empty for the default ones
   */
  Output(PrintWriter out, PrintWriter err, Format format, List<String> columns) {
    this.out = out;
    this.err = err;
    this.format = format;
    this.columns = columns;
  }

  /** One resource: a field/value table, its values, or the message as JSON or YAML. */
  void resource(Message m) {
    List<FieldDescriptor> fields = Columns.pick(m.getDescriptorForType(), columns);
    switch (format) {
      case JSON, YAML -> structured(m);
      case VALUE -> fields.forEach(f -> out.println(value(m, f)));
      case TABLE -> {
        List<List<String>> rows = new ArrayList<>();
        for (FieldDescriptor f : fields) rows.add(List.of(f.getName(), value(m, f)));
        out.print(table(rows));
      }
    }
    out.flush();
  }

  /** The message as JSON or YAML, cut down to the -c fields. */
  private void structured(Message m) {
    if (format == Format.JSON && columns.isEmpty()) {
      out.println(json(m)); // as the JSON mapping of protobuf prints it
      return;
    }
    var tree = Columns.tree(json(m), columns.isEmpty() ? List.of() : Columns.pick(m.getDescriptorForType(), columns));
    out.print(format == Format.YAML ? Columns.yaml(tree) : Columns.json(tree, true) + "\n");
  }

  /**
   * A List reply: one row per item with the given columns (field names of the item), or the -c ones. As JSON or
   * YAML the whole reply, each item cut down to the -c fields if any.
   */
  void list(Message reply, List<String> defaultColumns) {
    FieldDescriptor itemsField = Pages.items(reply.getDescriptorForType());
    var itemType = itemsField.getMessageType();
    List<FieldDescriptor> fields = Columns.pick(itemType, columns.isEmpty() ? defaultColumns : columns);
    @SuppressWarnings("unchecked")
    List<Message> items = (List<Message>) reply.getField(itemsField);
    switch (format) {
      case JSON, YAML -> {
        if (format == Format.JSON && columns.isEmpty()) {
          out.println(json(reply));
          break;
        }
        var tree = Columns.listTree(json(reply), itemsField.getName(),
            columns.isEmpty() ? List.of() : fields);
        out.print(format == Format.YAML ? Columns.yaml(tree) : Columns.json(tree, true) + "\n");
      }
      case VALUE -> {
        for (Message item : items) {
          out.println(fields.stream().map(f -> value(item, f)).collect(Collectors.joining(" ")));
        }
      }
      case TABLE -> {
        if (items.isEmpty()) {
          err.println("no " + itemsField.getName().replace('_', ' '));
          err.flush();
          break;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(fields.stream().map(f -> header(f.getName())).toList());
        for (Message item : items) rows.add(fields.stream().map(f -> value(item, f)).toList());
        out.print(table(rows));
      }
    }
    out.flush();
  }

  /**
   * A reply that a table shows in its own layout (a status tree, counters, changes): that layout, unless -c asks
   * for some of its fields; in the other formats like {@link #resource}.
   */
  private void shaped(Message m, java.util.function.Supplier<String> layout) {
    if (format == Format.TABLE && columns.isEmpty()) {
      out.print(layout.get());
      out.flush();
    } else {
      resource(m);
    }
  }

  /** {@code deleted listener ID (load balancer version 7)}. */
  void deleted(String noun, String id, DeleteResponse reply) {
    shaped(reply, () -> "deleted " + noun + " " + id + " (load balancer version " + reply.getVersion() + ")\n");
  }

  /** The status tree of a load balancer, one line per resource, children indented under their parent. */
  void status(LoadBalancerStatus s) {
    shaped(s, () -> tree(s));
  }

  static String tree(LoadBalancerStatus s) {
    var sb = new StringBuilder();
    line(sb, 0, "load balancer", s.getId(), s.getName(),
        "vip " + s.getVipAddress() + "  version " + s.getVersion()
            + (s.getNode().isEmpty() ? "" : "  on " + s.getNode()), s.getProvisioningStatus(), s.getOperatingStatus());
    for (ListenerStatus l : s.getListenersList()) {
      line(sb, 1, "listener", l.getId(), l.getName(),
          "port " + l.getProtocolPort() + "  default pool " + or(l.getDefaultPoolId()),
          l.getProvisioningStatus(), l.getOperatingStatus(), l.getOperatingStatusReason());
    }
    for (PoolStatus p : s.getPoolsList()) {
      line(sb, 1, "pool", p.getId(), p.getName(), "", p.getProvisioningStatus(), p.getOperatingStatus(),
          p.getOperatingStatusReason());
      if (p.hasHealthCheck()) {
        HealthCheckStatus h = p.getHealthCheck();
        line(sb, 2, "health check", h.getId(), h.getName(), h.getType().name(), h.getProvisioningStatus(),
            h.getOperatingStatus());
      }
      for (BackendStatus b : p.getBackendsList()) {
        line(sb, 2, "backend", b.getId(), b.getName(), b.getAddress() + ":" + b.getProtocolPort(),
            b.getProvisioningStatus(), b.getOperatingStatus(), b.getOperatingStatusReason());
      }
    }
    return sb.toString();
  }

  static void line(StringBuilder sb, int depth, String kind, String id, String name, String details,
      com.google.protobuf.ProtocolMessageEnum provisioning, com.google.protobuf.ProtocolMessageEnum operating) {
    line(sb, depth, kind, id, name, details, provisioning, operating, "");
  }

  /**
   * {@code  pool p-1 "web"  ACTIVE/DEGRADED  (1 of 2 backends down)}: kind, id, name if any, details,
   * provisioning/operating, and why the operating status is what it is, if the server said.
   */
  private static void line(StringBuilder sb, int depth, String kind, String id, String name, String details,
      com.google.protobuf.ProtocolMessageEnum provisioning, com.google.protobuf.ProtocolMessageEnum operating,
      String reason) {
    sb.append("  ".repeat(depth)).append(kind).append(' ').append(id);
    if (!name.isEmpty()) sb.append(" \"").append(name).append('"');
    if (!details.isEmpty()) sb.append("  ").append(details);
    sb.append("  ").append(enumValue(provisioning.getValueDescriptor())).append('/')
        .append(enumValue(operating.getValueDescriptor()));
    if (!reason.isEmpty()) sb.append("  (").append(reason).append(')');
    sb.append('\n');
  }

  /** The traffic counters of a load balancer: which node counted them, then one row for it and each child. */
  void stats(LoadBalancerStats s) {
    shaped(s, () -> statsText(s));
  }

  static final List<String> STATS_COLUMNS = List.of("KIND", "ID", "ACTIVE", "TOTAL", "BYTES_IN", "BYTES_OUT",
      "REQUEST_ERRORS", "REJECTED", "CONNECT_FAILURES");

  static String statsText(LoadBalancerStats s) {
    var sb = new StringBuilder("node  ")
        .append(s.getNode().isEmpty() ? NONE + " (no data plane serves it)" : s.getNode()).append("\n\n");
    List<List<String>> rows = new ArrayList<>();
    rows.add(STATS_COLUMNS);
    rows.add(statsRow("load balancer", s.getLoadBalancerId(), s.getActiveConnections(), s.getTotalConnections(),
        s.getBytesIn(), s.getBytesOut(), s.getRequestErrors(), s.getRejectedConnections(), s.getConnectFailures()));
    s.getListenersList().forEach(t -> rows.add(statsRow("listener", t)));
    s.getBackendsList().forEach(t -> rows.add(statsRow("backend", t)));
    return sb.append(table(rows)).toString();
  }

  private static List<String> statsRow(String kind, TrafficStats t) {
    return statsRow(kind, t.getId(), t.getActiveConnections(), t.getTotalConnections(), t.getBytesIn(),
        t.getBytesOut(), t.getRequestErrors(), t.getRejectedConnections(), t.getConnectFailures());
  }

  private static List<String> statsRow(String kind, String id, long... counters) {
    var row = new ArrayList<>(List.of(kind, id));
    for (long c : counters) row.add(String.valueOf(c));
    return row;
  }

  // ------------------------------------------------------------------ audit

  /** Each event as one line of JSON (JSON Lines): compact, proto field names, every field. Made once, reused. */
  private static final JsonFormat.Printer JSON_LINE = JSON.omittingInsignificantWhitespace();

  /** The event table's columns. Their widths are fixed, as rows are printed while the events arrive. */
  static final List<String> EVENT_COLUMNS =
      List.of("TIME", "SEQUENCE_NR", "VERSION", "TYPE", "RESOURCE", "ACTOR", "REQUEST_ID", "REASON");
  private static final int[] EVENT_WIDTHS = {24, 11, 7, 27, 22, 16, 40, 0};
  private static final DateTimeFormatter EVENT_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  /** How much of an id the audit lines show, like a short commit hash; --json has them whole. */
  static final int SHORT_ID = 8;

  private long events;

  /**
   * One event, as soon as it arrived: a table row (the header comes with the first), or with {@code -f json} a
   * JSON object on one line, with {@code -f yaml} a YAML document, with {@code -f value} its values on one line. Flushed at once. Answers false when stdout can no longer be written (its reader has
   * gone), so that a stream can stop.
   */
  boolean event(AuditEvent e) {
    List<FieldDescriptor> fields = columns.isEmpty() ? List.of() : Columns.pick(e.getDescriptorForType(), columns);
    switch (format) {
      case JSON -> {
        if (fields.isEmpty()) {
          var line = new StringBuilder(1024);
          io.fiberlb.api.AuditEventLines.append(e, line);
          out.println(line);
        } else {
          out.println(Columns.json(Columns.tree(json(e), fields), false));
        }
      }
      case YAML -> out.print(Columns.yaml(Columns.tree(json(e), fields)));
      case VALUE -> out.println(fields.isEmpty() ? String.join(" ", eventCells(e))
          : fields.stream().map(f -> value(e, f)).collect(Collectors.joining(" ")));
      case TABLE -> {
        if (fields.isEmpty()) {
          if (events == 0) out.println(eventRow(EVENT_COLUMNS, EVENT_WIDTHS));
          out.println(eventLine(e));
        } else {
          // Rows are printed as the events arrive: each column as wide as the widest value it usually has.
          int[] widths = fields.stream().mapToInt(f -> Math.max(header(f.getName()).length(),
              switch (f.getName()) {
                case "time" -> 30;
                case "type" -> 27;
                case "actor", "command" -> 16;
                default -> f.getName().endsWith("_id") ? 36 : 12;
              })).toArray();
          if (events == 0) out.println(eventRow(fields.stream().map(f -> header(f.getName())).toList(), widths));
          out.println(eventRow(fields.stream().map(f -> value(e, f)).toList(), widths));
        }
      }
    }
    events++;
    return !closed(out);
  }

  /**
   * Flushes {@code out} and answers whether what is written to it can no longer reach anyone (the reader of a
   * pipe has gone). picocli's stdout writer wraps System.out, a PrintStream that keeps its write errors to itself,
   * so that is asked too.
   */
  static boolean closed(PrintWriter out) {
    return out.checkError() || System.out.checkError();
  }

  /**
   * After the last event: in a table, {@code no events} on stderr if there were none (stdout stays empty, as it
   * does in the other formats: an empty stream).
   */
  void eventsDone() {
    if (events == 0 && format == Format.TABLE) {
      err.println("no events");
      err.flush();
    }
    out.flush();
  }

  /**
   * {@code 2026-11-21T03:12:00.000Z  7  5  BackendDown  backend/1234abcd  system  -  backend 1234... down: refused}.
   */
  static String eventLine(AuditEvent e) {
    return eventRow(eventCells(e), EVENT_WIDTHS);
  }

  private static List<String> eventCells(AuditEvent e) {
    return List.of(eventTime(e.getTime()), String.valueOf(e.getSequenceNr()), String.valueOf(e.getVersion()),
        or(e.getType()), e.getResourceKind().isEmpty() ? NONE : e.getResourceKind() + "/" + shortId(e.getResourceId()),
        or(e.getActor()), or(e.getRequestId()), or(e.getReason()));
  }

  private static String eventRow(List<String> cells, int[] widths) {
    var sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String cell = cells.get(i);
      sb.append(cell);
      if (i < cells.size() - 1) sb.append(" ".repeat(Math.max(widths[i] - cell.length(), 0) + 2));
    }
    return sb.toString();
  }

  private static String eventTime(Timestamp t) {
    if (t.getSeconds() == 0 && t.getNanos() == 0) return NONE;
    return EVENT_TIME.format(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()));
  }

  static String shortId(String id) {
    return id.isEmpty() ? NONE : id.length() > SHORT_ID ? id.substring(0, SHORT_ID) : id;
  }

  /** One message as one line of JSON, without the newline. */
  static String jsonLine(Message m) {
    var sb = new StringBuilder();
    appendJsonLine(m, sb);
    return sb.toString();
  }

  /** One message as one line of JSON, without the newline, straight into {@code to} (no String in between). */
  static void appendJsonLine(Message m, Appendable to) {
    try {
      JSON_LINE.appendTo(m, to);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getName() + " as JSON", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What changed between two points: a header line, then one line per change (see {@link HistoryText#change}). */
  void diff(DiffLoadBalancerResponse d) {
    shaped(d, () -> HistoryText.diff(d));
  }

  /** A rollback or restore: what it did (or, dry run, would do), then its changes (see {@link HistoryText#change}). */
  void rolledBack(String verb, String id, io.fiberlb.api.v1.RollbackLoadBalancerResponse r) {
    shaped(r, () -> HistoryText.rolledBack(verb, id, r));
  }

  /**
   * A load balancer as it was at some point, in the layout of {@link #status}: the load balancer, its listeners,
   * its pools with their health check and backends, then anything not under a pool. Says first when the load
   * balancer was already deleted then.
   */
  void snapshot(LoadBalancerSnapshot s) {
    shaped(s, () -> HistoryText.tree(s));
  }

  static String json(Message m) {
    try {
      return JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getName() + " as JSON", e);
    }
  }

  // ------------------------------------------------------------------ values

  /**
   * {@code provisioning_status} -> {@code PROVISIONING}, {@code protocol_port} -> {@code PROTOCOL_PORT},
   * {@code operating_status_reason} -> {@code REASON}.
   */
  static String header(String field) {
    if (field.endsWith("_status_reason")) return "REASON";
    return field.replaceFirst("_status$", "").toUpperCase(Locale.ROOT);
  }

  /** A field as a person reads it: durations {@code 2s}, times ISO-8601, lists comma separated, unset {@code -}. */
  static String value(Message m, FieldDescriptor f) {
    if (f.isRepeated()) {
      List<?> list = (List<?>) m.getField(f);
      return list.isEmpty() ? NONE : list.stream().map(v -> single(f, v)).collect(Collectors.joining(","));
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !m.hasField(f)) return NONE;
    return single(f, m.getField(f));
  }

  private static String single(FieldDescriptor f, Object v) {
    return switch (f.getJavaType()) {
      case STRING -> or((String) v);
      case ENUM -> enumValue((EnumValueDescriptor) v);
      case MESSAGE -> message((Message) v);
      default -> String.valueOf(v);
    };
  }

  private static String message(Message m) {
    if (m instanceof com.google.protobuf.Duration d) return duration(d);
    if (m instanceof Timestamp t) {
      if (t.getSeconds() == 0 && t.getNanos() == 0) return NONE;
      return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
    }
    // Any other message (session_persistence): its set fields as name=value.
    String fields = m.getAllFields().entrySet().stream()
        .map((Map.Entry<FieldDescriptor, Object> e) -> e.getKey().getName() + "=" + value(m, e.getKey()))
        .collect(Collectors.joining(" "));
    return fields.isEmpty() ? NONE : fields;
  }

  static String duration(com.google.protobuf.Duration d) {
    long ms = d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
    return Durations.formatMillis(ms);
  }

  private static String enumValue(EnumValueDescriptor e) {
    return e.getNumber() == 0 ? NONE : e.getName();
  }

  static String or(String s) {
    return s.isEmpty() ? NONE : s;
  }

  /** Rows as left-aligned columns two spaces apart; the last column is not padded. */
  static String table(List<List<String>> rows) {
    int columns = rows.stream().mapToInt(List::size).max().orElse(0);
    int[] width = new int[columns];
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) width[i] = Math.max(width[i], row.get(i).length());
    }
    var sb = new StringBuilder();
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        String cell = row.get(i);
        sb.append(cell);
        if (i < row.size() - 1) sb.append(" ".repeat(width[i] - cell.length() + 2));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** The generic parts of a List reply: its repeated items field and its next_page_token. */
  static final class Pages {
    private Pages() {}

    static FieldDescriptor items(com.google.protobuf.Descriptors.Descriptor reply) {
      return reply.getFields().stream()
          .filter(f -> f.isRepeated() && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(reply.getName() + " has no repeated message field"));
    }

    /** The id field of a resource. */
    static String id(Message resource) {
      return (String) resource.getField(resource.getDescriptorForType().findFieldByName("id"));
    }

    static String nextToken(Message reply) {
      return (String) reply.getField(reply.getDescriptorForType().findFieldByName("next_page_token"));
    }

    /** The first page followed by every later one, as one reply with no next_page_token. */
    @SuppressWarnings("unchecked")
    static <R extends Message> R all(R first, Function<String, R> page) {
      Message.Builder merged = first.toBuilder();
      String token = nextToken(first);
      while (!token.isEmpty()) {
        R next = page.apply(token);
        String after = nextToken(next);
        if (after.equals(token)) throw new IllegalStateException("the server answered the same page token twice");
        merged.mergeFrom(next);
        token = after;
      }
      merged.clearField(first.getDescriptorForType().findFieldByName("next_page_token"));
      return (R) merged.build();
    }
  }
}
