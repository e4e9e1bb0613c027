package io.fiberlb.it;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.fiberlb.api.v1.AuditService;
import io.fiberlb.api.v1.BackendService;
import io.fiberlb.api.v1.HealthCheckService;
import io.fiberlb.api.v1.ListenerService;
import io.fiberlb.api.v1.LoadBalancerService;
import io.fiberlb.api.v1.PoolService;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.pekko.grpc.ServiceDescription;

/**
 * A generated corpus of bad requests for every method of the API, as raw bytes: bodies that are not the request
 * message at all, unknown fields, and every string, list, enum, id, time and duration field of every request set
 * to something the API must refuse. Each case says which status and which field the answer must name.
 */
final class BadInputCorpus {
  /** One request: the method, its body, the status it must get and a text its message must contain. */
  record Case(String name, MethodDescriptor method, byte[] body, Status.Code code, String mustName) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Existing resources the bases refer to, so that only the mutated field is wrong. */
  record Ids(String lb, String listener, String pool, String backend, String hc, String httpListener, String policy,
      String rule) {}

  static final List<ServiceDescription> SERVICES = List.of(LoadBalancerService.description,
      ListenerService.description, PoolService.description, BackendService.description,
      HealthCheckService.description, io.fiberlb.api.v1.L7PolicyService.description,
      io.fiberlb.api.v1.L7RuleService.description, AuditService.description, io.fiberlb.api.v1.HistoryService.description,
      io.fiberlb.api.v1.ClusterService.description, io.fiberlb.api.v1.QuotaService.description,
      io.fiberlb.api.v1.CertificateService.description);

  static List<MethodDescriptor> methods() {
    var out = new ArrayList<MethodDescriptor>();
    for (ServiceDescription d : SERVICES) {
      String simple = d.name().substring(d.name().lastIndexOf('.') + 1);
      ServiceDescriptor s = d.descriptor().findServiceByName(simple);
      out.addAll(s.getMethods());
    }
    return out;
  }

  private static final Status.Code INVALID = Status.Code.INVALID_ARGUMENT;
  static final String[] UNSAFE = {"\u0000", "\n", "\r", "\t", "\u001b", "\u007f", "\u0085", "\u009b", "\u202a",
      "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"};
  static final String[] BAD_IDS = {"x", "not-a-uuid", "1-1-1-1-1", "3f2c1a9e5b7d4c1e9a2b7d6e5f4c3b2a",
      "3f2c1a9e-5b7d-4c1e-9a2b-7d6e5f4c3b2a0", "g3f2c1a9-5b7d-4c1e-9a2b-7d6e5f4c3b2a", "../../etc/passwd", " ",
      "3f2c1a9e-5b7d-4c1e-9a2b-7d6e5f4c3b2", "{3f2c1a9e-5b7d-4c1e-9a2b-7d6e5f4c3b2a}"};
  static final String[] BAD_BACKENDS = {"", " ", "1.2.3", "0x7f.1", "fe80::1%eth0%", "fe80::1%eth0", "0.0.0.0", "::",
      "255.255.255.255", "224.0.0.1", "239.255.255.250", "ff02::1", "10.0.0.256", "010.0.0.1", "1.2.3.4/32",
      "a..b", "-host", "host-", "host_name", "1.2.3.4.5", "::ffff:1.2.3", "[::1]", "1.2.3.4:80", "*", "1.2.3.*",
      "1.2.3.4-5", "0177.0.0.1", "4294967295", "example.123", "b\u00fccher.example", " 10.0.0.1", "10.0.0.1 "};
  static final String[] BAD_CIDRS = {"10.0.0/8", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "::/129",
      "10.0.0.0/8/8", "0x0a.0.0.0/8", "10.0.0.0 /8", "/8", "10.0.0.0/", "fe80::%eth0/64", "*", "1.2.3.4/0x8",
      "10/8", "10.0/16", "", " ", "10.0.0.0/255.0.0.0", "2001:db8::/32 "};
  static final String[] BAD_VIPS = {" ", "  ", "\t", "nope", "1.2.3", "0x7f.0.10.1", "127.0.11.1", "127.0.10.0",
      "127.0.10.255", "::1", "127.0.10.5/32", " 127.0.10.5", "127.0.10.5 ", "127.000.010.005", "fe80::1%lo"};
  static final String[] BAD_NODES = {"nope", "fiberlb@127.0.0.1:25520", "pekko://fiberlb", "pekko://fiberlb@h",
      "pekko://other@127.0.0.1:25520", "http://fiberlb@127.0.0.1:25520", "pekko://fiberlb@127.0.0.1:x", "127.0.0.1:25520"};
  static final long[][] BAD_TIMES = {{Long.MAX_VALUE, 0}, {Long.MIN_VALUE, 0}, {-62135596801L, 0},
      {253402300800L, 0}, {0, -1}, {0, 1_000_000_000}, {0, Integer.MAX_VALUE}, {-1, Integer.MIN_VALUE}};
  static final long[][] BAD_DURATIONS = {{0, 1_000_000_000}, {0, -1}, {-1, 0}, {1, -5}, {315_576_000_001L, 0},
      {Long.MAX_VALUE, 0}, {Long.MIN_VALUE, 0}, {0, 1}, {2, Integer.MAX_VALUE}};
  /** Certificate uploads that are not a certificate chain (PemCertificates names certificate_pem for each). */
  static final String[] BAD_PEMS = {"hello", "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n",
      "-----BEGIN CERTIFICATE-----\nAAAA"};
  static final int[] BAD_QUOTAS = {-2, -100, Integer.MIN_VALUE};
  static final int[] BAD_ENUMS = {99, -1, 123_456, Integer.MAX_VALUE};

  private final Ids ids;
  private final List<Case> cases = new ArrayList<>();

  BadInputCorpus(Ids ids) {
    this.ids = ids;
  }

  /** A request every field of which is fine: the ids of existing resources, a session persistence with a type. */
  DynamicMessage base(MethodDescriptor m) {
    Descriptor in = m.getInputType();
    var b = DynamicMessage.newBuilder(in);
    String service = m.getService().getName();
    for (FieldDescriptor f : in.getFields()) {
      String id = switch (f.getName()) {
        case "load_balancer_id" -> ids.lb();
        case "pool_id" -> service.equals("BackendService") ? ids.pool() : null;
        case "listener_id" -> ids.httpListener();
        case "l7policy_id" -> ids.policy();
        case "id" -> switch (service) {
          case "ListenerService" -> ids.listener();
          case "PoolService" -> ids.pool();
          case "BackendService" -> ids.backend();
          case "HealthCheckService" -> ids.hc();
          case "L7PolicyService" -> ids.policy();
          case "L7RuleService" -> ids.rule();
          default -> ids.lb();
        };
        default -> null;
      };
      if (id != null) b.setField(f, id);
    }
    switch (m.getName()) {
      case "CreateLoadBalancer" -> spec(b, "load_balancer", Map.of("name", "corpus-new"));
      case "CreateListener" -> spec(b, "listener", Map.of("protocol_port", 8081));
      case "CreateBackend" -> spec(b, "backend", Map.of("address", "10.9.9.9", "protocol_port", 8080));
      case "CreateHealthCheck" -> spec(b, "health_check", Map.of("type", "TCP"));
      case "CreateL7Policy" -> spec(b, "l7policy", Map.of("action", "REJECT"));
      case "CreateL7Rule" -> spec(b, "l7rule", Map.of("type", "PATH", "compare_type", "STARTS_WITH", "value", "/x"));
      case "SetQuota" -> spec(b, "quota", Map.of("health_checks", 5000));
      case "CreatePool", "UpdatePool" -> {
        FieldDescriptor pool = in.findFieldByName("pool");
        FieldDescriptor sp = pool.getMessageType().findFieldByName("session_persistence");
        var persistence = DynamicMessage.newBuilder(sp.getMessageType());
        FieldDescriptor type = sp.getMessageType().findFieldByName("type");
        persistence.setField(type, type.getEnumType().findValueByName("SOURCE_IP"));
        b.setField(pool, DynamicMessage.newBuilder(pool.getMessageType()).setField(sp, persistence.build()).build());
      }
      default -> {
        // ids are enough
      }
    }
    return b.build();
  }

  /** Sets fields of the spec message in field {@code name} (an enum by its value's name). */
  private static void spec(DynamicMessage.Builder b, String name, Map<String, Object> values) {
    FieldDescriptor f = b.getDescriptorForType().findFieldByName(name);
    var spec = DynamicMessage.newBuilder(f.getMessageType());
    values.forEach((k, v) -> {
      FieldDescriptor g = f.getMessageType().findFieldByName(k);
      spec.setField(g, g.getJavaType() == FieldDescriptor.JavaType.ENUM ? g.getEnumType().findValueByName((String) v) : v);
    });
    b.setField(f, spec.build());
  }

  List<Case> all() {
    for (MethodDescriptor m : methods()) {
      garbage(m);
      DynamicMessage base = base(m);
      unknownFields(m, base, new ArrayList<>(), base);
      walk(m, base, m.getInputType(), new ArrayList<>(), 0);
    }
    return cases;
  }

  private void add(String name, MethodDescriptor m, byte[] body, Status.Code code, String mustName) {
    cases.add(new Case(m.getName() + ": " + name, m, body, code, mustName));
  }

  /** Bytes that do not parse as the request message: random ones with a fixed seed, and a few made to break. */
  private void garbage(MethodDescriptor m) {
    Descriptor in = m.getInputType();
    String named = "request body: not a valid " + in.getFullName();
    List<byte[]> bodies = new ArrayList<>(List.of(new byte[] {0}, new byte[] {0x0a, 0x7f}, new byte[] {(byte) 0x80},
        new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1}, new byte[] {0x0b}, new byte[] {0x0c},
        new byte[] {0x0f, 1}, new byte[] {0x0d, 1, 2}, new byte[] {0x09, 1, 2, 3}, "GET / HTTP/1.1\r\n".getBytes()));
    Random random = new Random(in.getFullName().hashCode());
    while (bodies.size() < 30) {
      byte[] b = new byte[1 + random.nextInt(96)];
      random.nextBytes(b);
      bodies.add(b);
    }
    int n = 0;
    for (byte[] body : bodies) {
      if (parses(in, body)) continue;
      add("garbage body " + n++, m, body, INVALID, named);
    }
  }

  private static boolean parses(Descriptor type, byte[] body) {
    try {
      DynamicMessage.parseFrom(type, body);
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  /** Field 999 (unknown to every message here) added at the top and in every nested message of the request. */
  private void unknownFields(MethodDescriptor m, Message base, List<FieldDescriptor> path, DynamicMessage root) {
    var extra = UnknownFieldSet.newBuilder().addField(999, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
        .build();
    Message target = path.isEmpty() ? root : (Message) get(root, path);
    Message withUnknown = target.toBuilder().setUnknownFields(extra).build();
    Message request = path.isEmpty() ? withUnknown : set(root, path, 0, withUnknown);
    add("unknown field in " + (path.isEmpty() ? "request" : pathName(path)), m, request.toByteArray(), INVALID,
        (path.isEmpty() ? "request" : pathName(path)) + ": unknown field number 999");
    for (FieldDescriptor f : (path.isEmpty() ? m.getInputType() : path.get(path.size() - 1).getMessageType()).getFields()) {
      if (f.getType() == FieldDescriptor.Type.MESSAGE && !f.isRepeated() && path.size() < 3) {
        var next = new ArrayList<>(path);
        next.add(f);
        unknownFields(m, base, next, root);
      }
    }
  }

  /** Every field of the request and of its nested messages, each set alone to values it must refuse. */
  private void walk(MethodDescriptor m, DynamicMessage base, Descriptor type, List<FieldDescriptor> path, int depth) {
    for (FieldDescriptor f : type.getFields()) {
      var p = new ArrayList<>(path);
      p.add(f);
      String name = pathName(p);
      Consumer<Object> bad = v -> add(name + " = " + printable(v), m, set(base, p, 0, v).toByteArray(), INVALID, name);
      switch (f.getJavaType()) {
        case STRING -> {
          String ok = isId(f) ? ids.lb() : "okay";
          for (String c : UNSAFE) bad.accept(one(f, ok.substring(0, 4) + c + ok.substring(4)));
          bad.accept(one(f, "a".repeat(2049)));
          if (f.isRepeated()) bad.accept(Collections.nCopies(101, "t"));
          if (isId(f)) for (String id : BAD_IDS) bad.accept(one(f, id));
          if (name.equals("backend.address")) for (String a : BAD_BACKENDS) bad.accept(a);
          if (name.equals("to_node")) for (String a : BAD_NODES) bad.accept(a);
          if (name.equals("listener.allowed_cidrs")) for (String a : BAD_CIDRS) bad.accept(List.of(a));
          if (name.equals("load_balancer.vip_address") && m.getName().equals("CreateLoadBalancer")) {
            for (String a : BAD_VIPS) bad.accept(a);
          }
        }
        case ENUM -> {
          for (int n : BAD_ENUMS) bad.accept(one(f, f.getEnumType().findValueByNumberCreatingIfUnknown(n)));
        }
        case MESSAGE -> {
          String full = f.getMessageType().getFullName();
          if (full.equals("google.protobuf.Timestamp") || full.equals("google.protobuf.Duration")) {
            for (long[] t : full.endsWith("Timestamp") ? BAD_TIMES : BAD_DURATIONS) {
              Descriptor d = f.getMessageType();
              bad.accept(DynamicMessage.newBuilder(d).setField(d.findFieldByName("seconds"), t[0])
                  .setField(d.findFieldByName("nanos"), (int) t[1]).build());
            }
          } else if (!f.isRepeated() && depth < 3) {
            walk(m, base, f.getMessageType(), p, depth + 1);
          }
        }
        case BYTE_STRING -> {
          if (name.equals("certificate_pem")) {
            for (String pem : BAD_PEMS) bad.accept(com.google.protobuf.ByteString.copyFromUtf8(pem));
          }
        }
        case INT -> {
          // Quotas: -1 is unlimited, anything below it is refused (other numbers: the domain's, in BadInputTest).
          if (m.getName().equals("SetQuota")) for (int n : BAD_QUOTAS) bad.accept(n);
        }
        default -> {
          // other numbers and booleans: the domain's rules, covered by BadInputTest
        }
      }
    }
  }

  private static boolean isId(FieldDescriptor f) {
    return f.getName().equals("id") || (f.getName().endsWith("_id") && !f.getName().equals("request_id"));
  }

  private static Object one(FieldDescriptor f, Object v) {
    return f.isRepeated() ? List.of(v) : v;
  }

  private static String printable(Object v) {
    String s = String.valueOf(v instanceof Message msg ? msg.toString().replace('\n', ' ') : v);
    if (s.length() > 40) s = s.substring(0, 40) + "...(" + s.length() + ")";
    var out = new StringBuilder();
    s.codePoints().forEach(cp -> out.append(cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x2069)
        ? String.format("\\u%04x", cp) : new String(Character.toChars(cp))));
    return out.toString();
  }

  static String pathName(List<FieldDescriptor> path) {
    return String.join(".", path.stream().map(FieldDescriptor::getName).toList());
  }

  private static Object get(Message m, List<FieldDescriptor> path) {
    Object cur = m;
    for (FieldDescriptor f : path) cur = ((Message) cur).getField(f);
    return cur;
  }

  /** {@code m} with the field at {@code path} set to {@code value} (a list for a repeated field). */
  static Message set(Message m, List<FieldDescriptor> path, int i, Object value) {
    var b = m.toBuilder();
    FieldDescriptor f = path.get(i);
    if (i == path.size() - 1) {
      if (f.isRepeated()) {
        b.clearField(f);
        for (Object v : (List<?>) value) b.addRepeatedField(f, v);
      } else {
        b.setField(f, value);
      }
    } else {
      Message child = m.hasField(f) ? (Message) m.getField(f) : DynamicMessage.getDefaultInstance(f.getMessageType());
      b.setField(f, set(child, path, i + 1, value));
    }
    return b.build();
  }

  /** A body over {@code limit} bytes: one length-delimited unknown field. */
  static byte[] oversized(int limit) {
    var out = new ByteArrayOutputStream();
    var big = UnknownFieldSet.newBuilder().addField(999, UnknownFieldSet.Field.newBuilder()
        .addLengthDelimited(com.google.protobuf.ByteString.copyFrom(new byte[limit + 1024])).build()).build();
    out.writeBytes(big.toByteArray());
    return out.toByteArray();
  }

  static Map<String, Integer> countByMethod(List<Case> cases) {
    var out = new java.util.TreeMap<String, Integer>();
    cases.forEach(c -> out.merge(c.method().getName(), 1, Integer::sum));
    return out;
  }
}
