package io.fiberlb.cli;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.BackendStatus;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.HealthCheckStatus;
import io.fiberlb.api.v1.ListenerStatus;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.fiberlb.api.v1.PoolStatus;
import io.fiberlb.util.Durations;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How replies are shown: with {@code --json} the reply message as one JSON document (proto field names, every
 * field); otherwise tables made from the message descriptors, so the five kinds share one renderer.
 */
final class Output {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().includingDefaultValueFields();
  private static final String NONE = "-";

  private final PrintWriter out;
  private final boolean json;

  Output(PrintWriter out, boolean json) {
    this.out = out;
    this.json = json;
  }

  /** One resource: a field/value table. */
  void resource(Message m) {
    if (json) {
      printJson(m);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (FieldDescriptor f : m.getDescriptorForType().getFields()) rows.add(List.of(f.getName(), value(m, f)));
    out.print(table(rows));
    out.flush();
  }

  /** A List reply: one row per item with the given columns (field names of the item). */
  void list(Message reply, List<String> columns) {
    if (json) {
      printJson(reply);
      return;
    }
    FieldDescriptor itemsField = Pages.items(reply.getDescriptorForType());
    @SuppressWarnings("unchecked")
    List<Message> items = (List<Message>) reply.getField(itemsField);
    if (items.isEmpty()) {
      out.println("no " + itemsField.getName().replace('_', ' '));
      out.flush();
      return;
    }
    var fields = itemsField.getMessageType();
    List<List<String>> rows = new ArrayList<>();
    rows.add(columns.stream().map(Output::header).toList());
    for (Message item : items) {
      rows.add(columns.stream().map(c -> {
        FieldDescriptor f = fields.findFieldByName(c);
        if (f == null) throw new IllegalArgumentException(fields.getName() + " has no field " + c);
        return value(item, f);
      }).toList());
    }
    out.print(table(rows));
    out.flush();
  }

  /** {@code deleted listener ID (load balancer version 7)}. */
  void deleted(String noun, String id, DeleteResponse reply) {
    if (json) printJson(reply);
    else out.println("deleted " + noun + " " + id + " (load balancer version " + reply.getVersion() + ")");
    out.flush();
  }

  /** The status tree of a load balancer, one line per resource, children indented under their parent. */
  void status(LoadBalancerStatus s) {
    if (json) {
      printJson(s);
      return;
    }
    out.print(tree(s));
    out.flush();
  }

  static String tree(LoadBalancerStatus s) {
    var sb = new StringBuilder();
    line(sb, 0, "load balancer", s.getId(), s.getName(),
        "vip " + s.getVipAddress() + "  version " + s.getVersion(), s.getProvisioningStatus(), s.getOperatingStatus());
    for (ListenerStatus l : s.getListenersList()) {
      line(sb, 1, "listener", l.getId(), l.getName(),
          "port " + l.getProtocolPort() + "  default pool " + or(l.getDefaultPoolId()),
          l.getProvisioningStatus(), l.getOperatingStatus());
    }
    for (PoolStatus p : s.getPoolsList()) {
      line(sb, 1, "pool", p.getId(), p.getName(), "", p.getProvisioningStatus(), p.getOperatingStatus());
      if (p.hasHealthCheck()) {
        HealthCheckStatus h = p.getHealthCheck();
        line(sb, 2, "health check", h.getId(), h.getName(), h.getType().name(), h.getProvisioningStatus(),
            h.getOperatingStatus());
      }
      for (BackendStatus b : p.getBackendsList()) {
        line(sb, 2, "backend", b.getId(), b.getName(), b.getAddress() + ":" + b.getProtocolPort(),
            b.getProvisioningStatus(), b.getOperatingStatus());
      }
    }
    return sb.toString();
  }

  /** {@code  pool p-1 "web"  ACTIVE/ONLINE}: kind, id, name if any, details, provisioning/operating. */
  private static void line(StringBuilder sb, int depth, String kind, String id, String name, String details,
      com.google.protobuf.ProtocolMessageEnum provisioning, com.google.protobuf.ProtocolMessageEnum operating) {
    sb.append("  ".repeat(depth)).append(kind).append(' ').append(id);
    if (!name.isEmpty()) sb.append(" \"").append(name).append('"');
    if (!details.isEmpty()) sb.append("  ").append(details);
    sb.append("  ").append(enumValue(provisioning.getValueDescriptor())).append('/')
        .append(enumValue(operating.getValueDescriptor())).append('\n');
  }

  private void printJson(Message m) {
    out.println(json(m));
    out.flush();
  }

  static String json(Message m) {
    try {
      return JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getName() + " as JSON", e);
    }
  }

  // ------------------------------------------------------------------ values

  /** {@code provisioning_status} -> {@code PROVISIONING}, {@code protocol_port} -> {@code PROTOCOL_PORT}. */
  static String header(String field) {
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

  private static String or(String s) {
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
