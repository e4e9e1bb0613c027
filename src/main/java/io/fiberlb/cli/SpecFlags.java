package io.fiberlb.cli;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import io.fiberlb.api.v1.Flag;
import io.fiberlb.api.v1.CliProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The create and update flags of a kind, made from its *Spec message: one flag per field, named, typed and explained
 * by the descriptor and the {@code (fiberlb.v1.flag)} options of resources.proto (cli.proto says how). A new field
 * in a Spec is a new flag with no code here or in the kind's commands. A kind's commands take them as
 * {@code @Mixin Fields fields}, where {@code Fields extends SpecFlags<ItsSpec>}; {@link Cli#commandLine} adds the
 * options to each command that has such a mixin ({@link #addTo}).
 *
 * <p>What was given is kept per flag, and {@link #spec} makes the message: a flag not given leaves its field unset
 * (default on create, unchanged on update).
 */
@Command // picocli takes a mixin only if it has an annotation; the options come from addTo
abstract class SpecFlags<S extends Message> {
  /** Help order of the fields every resource has: after the kind's own fields (see {@link Flags}). */
  private static final int COMMON_ORDER = 80;
  private static final int FIRST_ORDER = 10;

  /** The help of the fields every kind has, when its Spec gives none. */
  private static final Map<String, Flag> COMMON = Map.of(
      "name", Flag.newBuilder().setValue("NAME")
          .setHelp("Name, at most 255 characters. Default on create: empty.").build(),
      "description", Flag.newBuilder().setValue("TEXT")
          .setHelp("Free text, at most 255 characters. Default on create: empty.").build(),
      "admin_state_up", Flag.newBuilder()
          .setHelp("false takes it out of service without deleting it. Default on create: true.").build(),
      "tags", Flag.newBuilder().setValue("TAG")
          .setHelp("Tags, repeatable or comma separated. Replaces the whole list; --tags '' clears it.").build());

  /** Looks up the id of another child of the load balancer that a flag names: by id or by name. */
  interface Resolver {
    String id(Names.Kind kind, String ref);
  }

  /**
   * One flag: the field it sets, inside {@code parent} when it is one of a message field's flags (a session
   * persistence's type is {@code session_persistence.type}).
   */
  private record FlagField(FieldDescriptor parent, FieldDescriptor field, String name, Flag flag) {
    String option() {
      return "--" + name;
    }
  }

  private final S prototype;
  private final List<FlagField> flags;
  private final Map<FlagField, Object> given = new LinkedHashMap<>();

  /** @param prototype the Spec's default instance, e.g. {@code PoolSpec.getDefaultInstance()} */
  SpecFlags(S prototype) {
    this.prototype = prototype;
    this.flags = flags(prototype.getDescriptorForType());
  }

  /** Adds the flags of every SpecFlags mixin of {@code command} to it. */
  static void addTo(CommandSpec command) {
    for (CommandSpec mixin : command.mixins().values()) {
      if (mixin.userObject() instanceof SpecFlags<?> fields) fields.options().forEach(command::addOption);
    }
  }

  /** The picocli options, one per flag, in help order. */
  List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>();
    int order = FIRST_ORDER;
    for (FlagField f : flags) {
      String name = f.parent() == null ? f.field().getName() : "";
      int at = switch (name) {
        case "admin_state_up" -> COMMON_ORDER;
        case "tags" -> COMMON_ORDER + 1;
        default -> order++;
      };
      options.add(option(f, at));
    }
    return options;
  }

  /**
   * The Spec the flags given make; a usage mistake is a {@link Flags.UsageException}. Other children are as the
   * user named them, by id or name: see {@link #resolve}.
   */
  @SuppressWarnings("unchecked")
  S spec() {
    Message.Builder b = prototype.newBuilderForType();
    checkMessagesComplete();
    Map<FieldDescriptor, Message.Builder> inner = new LinkedHashMap<>();
    given.forEach((f, value) -> set(f.parent() == null ? b
        : inner.computeIfAbsent(f.parent(), p -> b.newBuilderForField(p)), f, value));
    inner.forEach((field, message) -> b.setField(field, message.build()));
    return (S) b.build();
  }

  /**
   * {@code spec} with each field whose flag refers to another child of the load balancer (refers_to) holding that
   * child's id, looked up by {@code names}; '' (clears it) stays ''.
   */
  @SuppressWarnings("unchecked")
  static <M extends Message> M resolve(M spec, Resolver names) {
    Message.Builder b = spec.toBuilder();
    spec.getAllFields().forEach((field, value) -> {
      String kind = field.getOptions().getExtension(CliProto.flag).getRefersTo();
      if (!kind.isEmpty() && value instanceof String ref && !ref.isEmpty()) {
        b.setField(field, names.id(Names.Kind.valueOf(kind), ref));
      }
    });
    return (M) b.build();
  }

  // ------------------------------------------------------------------ from the descriptor

  private static List<FlagField> flags(Descriptor spec) {
    List<FlagField> flags = new ArrayList<>();
    for (FieldDescriptor f : spec.getFields()) {
      if (isSetCompanion(f)) continue;
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField() && !isDuration(f)) {
        if (f.isRepeated()) throw unsupported(f, "a repeated message cannot be given as flags");
        for (FieldDescriptor inner : f.getMessageType().getFields()) flags.add(flag(f, inner));
      } else {
        flags.add(flag(null, f));
      }
    }
    return flags;
  }

  private static FlagField flag(FieldDescriptor parent, FieldDescriptor field) {
    Flag flag = field.getOptions().hasExtension(CliProto.flag)
        ? field.getOptions().getExtension(CliProto.flag)
        : parent == null ? COMMON.get(field.getName()) : null;
    if (flag == null || flag.getHelp().isEmpty()) {
      throw new IllegalStateException(field.getFullName() + " has no flag help: give it a (fiberlb.v1.flag) option"
          + " in its .proto file");
    }
    checkShape(parent, field, flag);
    String name = flag.getName().isEmpty() ? field.getName().replace('_', '-') : flag.getName();
    return new FlagField(parent, field, name, flag);
  }

  /**
   * What a flag can fill, refused when the CLI is built rather than when a user gives the flag: singular fields,
   * lists of strings, maps of strings to strings; a top-level singular field must have presence (proto3
   * {@code optional}), or an update could not send false, 0 or ''; {@code refers_to} only on a top-level string
   * naming a child kind (those are what {@link #resolve} looks up).
   */
  private static void checkShape(FieldDescriptor parent, FieldDescriptor field, Flag flag) {
    if (field.isMapField()) {
      for (FieldDescriptor kv : field.getMessageType().getFields()) {
        if (kv.getType() != FieldDescriptor.Type.STRING) throw unsupported(field, "only map<string, string> can be");
      }
    } else if (field.isRepeated() && field.getType() != FieldDescriptor.Type.STRING) {
      throw unsupported(field, "only repeated string can be a list flag");
    } else if (parent != null && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !isDuration(field)) {
      throw unsupported(field, "a message inside a message's flags cannot be given as flags");
    } else if (parent == null && !field.isRepeated() && !field.hasPresence()) {
      throw unsupported(field, "it must be optional, or an update could not send its zero value");
    }
    if (flag.getRefersTo().isEmpty()) return;
    boolean kind = Arrays.stream(Names.Kind.values())
        .anyMatch(k -> k != Names.Kind.LOAD_BALANCER && k.name().equals(flag.getRefersTo()));
    if (!kind || parent != null || field.isRepeated() || field.getType() != FieldDescriptor.Type.STRING) {
      throw unsupported(field, "refers_to '" + flag.getRefersTo() + "' must name a child kind, on a top-level"
          + " string field");
    }
  }

  private static IllegalStateException unsupported(FieldDescriptor field, String why) {
    return new IllegalStateException(field.getFullName() + " cannot be a flag: " + why);
  }

  /** {@code tags_set} beside {@code tags}: says that the list is given even when empty; set with it, no flag. */
  private static boolean isSetCompanion(FieldDescriptor f) {
    return f.getType() == FieldDescriptor.Type.BOOL && f.getName().endsWith("_set")
        && f.getContainingType().findFieldByName(f.getName().substring(0, f.getName().length() - 4)) != null;
  }

  private static boolean isDuration(FieldDescriptor f) {
    return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && f.getMessageType().getFullName().equals(Duration.getDescriptor().getFullName());
  }

  private OptionSpec option(FlagField f, int order) {
    FieldDescriptor field = f.field();
    String label = !f.flag().getValue().isEmpty() ? f.flag().getValue()
        : field.isMapField() ? "NAME=VALUE" : field.getName().toUpperCase(Locale.ROOT);
    var binding = new Binding(f);
    var option = OptionSpec.builder(f.option()).order(order).description(f.flag().getHelp()).paramLabel(label)
        .setter(binding).getter(binding);
    if (field.isRepeated()) {
      // a list, or a map as NAME=VALUE entries: repeatable or comma separated, '' clears it
      option.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
    } else if (isDuration(field)) {
      option.type(Duration.class).converters(new Flags.DurationValue());
    } else {
      switch (field.getJavaType()) {
        case BOOLEAN -> option.type(Boolean.class).arity("1").paramLabel("true|false");
        case INT -> option.type(Integer.class);
        case LONG -> option.type(Long.class);
        case ENUM -> {
          var values = new Flags.ProtoEnumValue(field.getEnumType());
          option.type(EnumValueDescriptor.class).converters(values).completionCandidates(values);
        }
        case STRING -> option.type(String.class);
        default -> throw new IllegalStateException(field.getFullName() + ": no flag for a "
            + field.getJavaType().name().toLowerCase(Locale.ROOT) + " field");
      }
    }
    return option.build();
  }

  /** Where picocli puts a flag's value: {@link #given}, so that a flag not given sets nothing. */
  private final class Binding implements ISetter, IGetter {
    private final FlagField flag;

    Binding(FlagField flag) {
      this.flag = flag;
    }

    @Override
    public <T> T set(T value) {
      @SuppressWarnings("unchecked")
      T old = (T) (value == null ? given.remove(flag) : given.put(flag, value));
      return old;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get() {
      return (T) given.get(flag);
    }
  }

  // ------------------------------------------------------------------ to the message

  /** A message given through its fields' flags needs those marked required_with_message. */
  private void checkMessagesComplete() {
    for (FlagField f : flags) {
      if (f.parent() == null || !f.flag().getRequiredWithMessage() || given.containsKey(f)) continue;
      for (FlagField other : given.keySet()) {
        if (other.parent() == f.parent()) {
          throw new Flags.UsageException(other.option() + " needs " + f.option() + " too");
        }
      }
    }
  }

  private static void set(Message.Builder b, FlagField f, Object value) {
    FieldDescriptor field = f.field();
    if (field.isMapField()) {
      for (String entry : Flags.entries(strings(value))) {
        int eq = entry.indexOf('=');
        if (eq <= 0) {
          String form = f.flag().getValue().isEmpty() ? "NAME=VALUE" : f.flag().getValue();
          throw new Flags.UsageException(f.option() + ": " + form + ", got '" + entry + "'");
        }
        Message.Builder e = b.newBuilderForField(field);
        e.setField(e.getDescriptorForType().findFieldByName("key"), entry.substring(0, eq).trim());
        e.setField(e.getDescriptorForType().findFieldByName("value"), entry.substring(eq + 1).trim());
        b.addRepeatedField(field, e.build());
      }
      setCompanion(b, field);
    } else if (field.isRepeated()) {
      for (String entry : Flags.entries(strings(value))) b.addRepeatedField(field, entry);
      setCompanion(b, field);
    } else {
      b.setField(field, value);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> strings(Object value) {
    return (List<String>) value;
  }

  private static void setCompanion(Message.Builder b, FieldDescriptor field) {
    FieldDescriptor companion = field.getContainingType().findFieldByName(field.getName() + "_set");
    if (companion != null) b.setField(companion, true);
  }
}
