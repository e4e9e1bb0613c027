package io.fiberlb.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.fiberlb.util.Texts;
import java.util.List;
import java.util.Map;

/**
 * The rules every request message obeys whatever its type, checked once at the edge from the message's
 * descriptor, before anything else reads it: no field this server does not know (a newer client's write would
 * otherwise be half applied in silence), no enum number outside the enum, every string at most
 * {@link #MAX_STRING} characters and free of control characters and bidirectional overrides, every repeated field
 * at most {@link #MAX_REPEATED} entries. Each refusal is an INVALID_ARGUMENT naming the field by its path
 * ({@code listener.allowed_cidrs}). The rules of particular fields (names at most 255, ports, addresses) are the
 * domain's ({@code Validation}) and come after.
 */
public final class WireChecks {
  private WireChecks() {}

  public static final int MAX_STRING = 2048;
  public static final int MAX_REPEATED = 100;
  public static final int MAX_BYTES = 4096;
  /** PEM uploads (fields named {@code *_pem}: a certificate chain, a key, a CA bundle) are bytes up to 64 KiB. */
  public static final int MAX_PEM_BYTES = 64 * 1024;

  public static void check(Message request) {
    check(request, "");
  }

  private static void check(Message m, String prefix) {
    Map<Integer, ?> unknown = m.getUnknownFields().asMap();
    if (!unknown.isEmpty()) {
      String where = prefix.isEmpty() ? "request" : prefix.substring(0, prefix.length() - 1);
      throw Errors.invalid(where + ": unknown field number " + unknown.keySet().iterator().next() + " in "
          + m.getDescriptorForType().getFullName() + "; this server does not know it");
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String name = prefix + f.getName();
      if (f.isRepeated()) {
        List<?> values = (List<?>) e.getValue();
        if (values.size() > MAX_REPEATED) {
          throw Errors.invalid(name + ": at most " + MAX_REPEATED + " entries, got " + values.size());
        }
        for (Object v : values) one(f, name, v);
      } else {
        one(f, name, e.getValue());
      }
    }
  }

  private static void one(FieldDescriptor f, String name, Object value) {
    switch (f.getJavaType()) {
      case STRING -> {
        String s = (String) value;
        if (s.length() > MAX_STRING) {
          throw Errors.invalid(name + ": must be at most " + MAX_STRING + " characters, got " + s.length());
        }
        String unsafe = Texts.firstUnsafe(s);
        if (unsafe != null) {
          throw Errors.invalid(name + ": must not contain control characters or bidirectional overrides, got " + unsafe);
        }
      }
      case ENUM -> {
        var v = (EnumValueDescriptor) value;
        if (f.getEnumType().findValueByNumber(v.getNumber()) == null) {
          throw Errors.invalid(name + ": unknown value " + v.getNumber() + " of " + f.getEnumType().getFullName());
        }
      }
      case BYTE_STRING -> {
        int max = name.endsWith("_pem") ? MAX_PEM_BYTES : MAX_BYTES;
        if (((ByteString) value).size() > max) {
          throw Errors.invalid(name + ": must be at most " + max + " bytes");
        }
      }
      case MESSAGE -> check((Message) value, name + ".");
      default -> {
        // numbers and booleans: their ranges are the domain's rules
      }
    }
  }
}
