package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumOptions;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FieldOptions;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CliProto;
import io.fiberlb.api.v1.Flag;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.L7PolicySpec;
import io.fiberlb.api.v1.L7RuleSpec;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.QuotaSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A Spec message is its kind's flags, with no code per field: a Spec made here at run time, with one field of every
 * shape and the options of cli.proto, becomes flags that parse into it; and every field of every real kind's Spec is
 * a flag of its create and update.
 */
class SpecFlagsTest {
  private static final Descriptor WIDGET = widgetSpec(true);

  @Test
  void aSpecsFieldsAreItsFlagsInDeclarationOrderWithTheCommonOnesLast() {
    List<String> names = new SpecFlags<>(DynamicMessage.getDefaultInstance(WIDGET)) {}.options().stream()
        .sorted(java.util.Comparator.comparingInt(OptionSpec::order)).map(OptionSpec::longestName).toList();
    assertThat(names).containsExactly("--name", "--size", "--shiny", "--color", "--ttl", "--labels", "--extras",
        "--part", "--part-count", "--pool-id", "--admin-state-up", "--tags");

    String help = usage(WIDGET);
    assertThat(help.replaceAll("\\s+", " "))
        .contains("--color=COLOR One of RED, BLUE.")
        .contains("--labels=LABEL[,LABEL...] Labels.")
        .contains("--shiny=true|false Whether it shines.")
        .contains("--name=NAME Name, at most 255 characters. Default on create: empty.")
        .doesNotContain("labels-set", "extras-set", "UNSPECIFIED");
  }

  @Test
  void flagsGivenFillTheirFieldsAndNoOthers() {
    DynamicMessage spec = parse("--name", "w", "--size", "3", "--shiny", "false", "--color", "blue", "--ttl", "1m30s",
        "--labels", "a,b", "--labels", "c", "--extras", "k=v, x = y", "--part", "p", "--part-count", "2",
        "--pool-id", "web").spec();
    assertThat(spec.getField(field("name"))).isEqualTo("w");
    assertThat(spec.getField(field("size"))).isEqualTo(3);
    assertThat(spec.hasField(field("shiny"))).as("false is sent: it is given").isTrue();
    assertThat(((EnumValueDescriptor) spec.getField(field("color"))).getName()).isEqualTo("BLUE");
    assertThat(spec.getField(field("ttl"))).isEqualTo(Flags.DurationValue.proto(java.time.Duration.ofSeconds(90)));
    assertThat(spec.getField(field("labels"))).isEqualTo(List.of("a", "b", "c"));
    assertThat(spec.getField(field("labels_set"))).isEqualTo(true);
    assertThat(spec.getField(field("extras_set"))).isEqualTo(true);
    assertThat(spec.getRepeatedFieldCount(field("extras"))).isEqualTo(2);
    List<String> extras = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Message e = (Message) spec.getRepeatedField(field("extras"), i);
      extras.add(e.getAllFields().values().stream().map(Object::toString).reduce((k, v) -> k + "=" + v).orElseThrow());
    }
    assertThat(extras).as("names and values trimmed").containsExactly("k=v", "x=y");
    Message part = (Message) spec.getField(field("part"));
    assertThat(part.getField(part.getDescriptorForType().findFieldByName("kind"))).isEqualTo("p");
    assertThat(part.getField(part.getDescriptorForType().findFieldByName("count"))).isEqualTo(2);
    assertThat(spec.hasField(field("admin_state_up"))).isFalse();
    assertThat(spec.hasField(field("tags_set"))).isFalse();

    DynamicMessage none = parse().spec();
    assertThat(none.getAllFields()).as("nothing given, nothing set: defaults on create, unchanged on update")
        .isEmpty();
    DynamicMessage cleared = parse("--tags", "").spec();
    assertThat(cleared.getRepeatedFieldCount(field("tags"))).isZero();
    assertThat(cleared.getField(field("tags_set"))).as("'' clears the list").isEqualTo(true);
  }

  @Test
  void aFieldThatNamesAnotherChildIsLookedUpByName() {
    DynamicMessage spec = parse("--pool-id", "web", "--name", "web").spec();
    Message resolved = SpecFlags.resolve(spec, (kind, ref) -> kind + ":" + ref);
    assertThat(resolved.getField(field("pool_id"))).isEqualTo("POOL:web");
    assertThat(resolved.getField(field("name"))).as("not a reference").isEqualTo("web");
    DynamicMessage clear = parse("--pool-id", "").spec();
    assertThat(SpecFlags.resolve(clear, (kind, ref) -> "never").getField(field("pool_id"))).as("'' clears it")
        .isEqualTo("");
  }

  @Test
  void mistakesAreUsageErrorsNamingTheFlag() {
    assertThatThrownBy(() -> parse("--part-count", "2").spec()).isInstanceOf(Flags.UsageException.class)
        .hasMessage("--part-count needs --part too");
    assertThatThrownBy(() -> parse("--extras", "k").spec()).isInstanceOf(Flags.UsageException.class)
        .hasMessage("--extras: K=V, got 'k'");
    assertThatThrownBy(() -> parse("--color", "green")).isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("'green' is not a colour; use one of RED, BLUE");
  }

  @Test
  void theSameCommandParsedAgainKeepsNothingOfTheFirstParse() {
    var flags = new SpecFlags<>(DynamicMessage.getDefaultInstance(WIDGET)) {};
    CommandSpec command = CommandSpec.create();
    flags.options().forEach(command::addOption);
    var parser = new CommandLine(command);
    parser.parseArgs("--size", "3", "--labels", "a", "--part", "p");
    assertThat(flags.spec().getAllFields()).hasSize(4); // size, labels, labels_set, part
    parser.parseArgs("--labels", "b");
    DynamicMessage again = flags.spec();
    assertThat(again.hasField(field("size"))).isFalse();
    assertThat(again.hasField(field("part"))).isFalse();
    assertThat(again.getField(field("labels"))).isEqualTo(List.of("b"));
  }

  @Test
  void shapesAFlagCannotFillAreRefusedWhenTheCliIsBuilt() {
    Flag help = flag("X", "Help.");
    assertThat(refusal(field("ports", 1, Type.TYPE_INT32, help).setLabel(Label.LABEL_REPEATED)))
        .contains("test.BadSpec.ports cannot be a flag: only repeated string");
    assertThat(refusal(field("count", 1, Type.TYPE_INT32, help).setProto3Optional(false)))
        .as("proto3 without optional: an update could not send 0").contains("test.BadSpec.count cannot be a flag");
    assertThat(refusal(field("lb_id", 1, Type.TYPE_STRING, help.toBuilder().setRefersTo("LOAD_BALANCER").build())))
        .contains("refers_to 'LOAD_BALANCER' must name a child kind");
    assertThat(refusal(field("pools", 1, Type.TYPE_STRING, help.toBuilder().setRefersTo("POOL").build())
        .setLabel(Label.LABEL_REPEATED))).contains("refers_to 'POOL' must name a child kind, on a top-level string");
    assertThat(refusal(field("pool", 1, Type.TYPE_STRING, help.toBuilder().setRefersTo("NOPE").build())))
        .contains("refers_to 'NOPE'");
  }

  /** The message of the refusal of a proto3 Spec holding {@code field}. */
  private static String refusal(FieldDescriptorProto.Builder field) {
    boolean optional = !field.hasProto3Optional() || field.getProto3Optional();
    var message = DescriptorProto.newBuilder().setName("BadSpec");
    if (optional && field.getLabel() != Label.LABEL_REPEATED) {
      message.addOneofDecl(com.google.protobuf.DescriptorProtos.OneofDescriptorProto.newBuilder()
          .setName("_" + field.getName()));
      field.setProto3Optional(true).setOneofIndex(0);
    }
    message.addField(field);
    var file = FileDescriptorProto.newBuilder().setName("test/bad.proto").setPackage("test").setSyntax("proto3")
        .addDependency("fiberlb/v1/cli.proto").addMessageType(message).build();
    Descriptor bad;
    try {
      bad = FileDescriptor.buildFrom(file, new FileDescriptor[] {CliProto.getDescriptor()})
          .findMessageTypeByName("BadSpec");
    } catch (DescriptorValidationException e) {
      throw new AssertionError(e);
    }
    try {
      new SpecFlags<>(DynamicMessage.getDefaultInstance(bad)) {};
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + bad.getFields());
  }

  @Test
  void aSpecFieldWithoutHelpIsRefusedAtOnce() {
    Descriptor bare = widgetSpec(false);
    assertThatThrownBy(() -> new SpecFlags<>(DynamicMessage.getDefaultInstance(bare)) {})
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("test.WidgetSpec.size has no flag help");
  }

  @Test
  void everyFieldOfEveryKindsSpecIsAFlagOfItsCreateAndUpdate() {
    Map<String, Descriptor> kinds = Map.of("lb", LoadBalancerSpec.getDescriptor(),
        "listener", ListenerSpec.getDescriptor(), "pool", PoolSpec.getDescriptor(),
        "backend", BackendSpec.getDescriptor(), "healthcheck", HealthCheckSpec.getDescriptor(),
        "l7policy", L7PolicySpec.getDescriptor(), "l7rule", L7RuleSpec.getDescriptor());
    CommandLine cli = Cli.commandLine(new Cli());
    kinds.forEach((kind, spec) -> {
      List<String> expected = new ArrayList<>();
      for (FieldDescriptor f : spec.getFields()) {
        if (f.getName().endsWith("_set")) continue;
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField()
            && !f.getMessageType().getFullName().equals("google.protobuf.Duration")) {
          f.getMessageType().getFields().forEach(inner -> expected.add(flagName(inner)));
        } else {
          expected.add(flagName(f));
        }
      }
      for (String verb : List.of("create", "update")) {
        CommandSpec command = cli.getSubcommands().get(kind).getSubcommands().get(verb).getCommandSpec();
        assertThat(command.options().stream().map(OptionSpec::longestName)).as(kind + " " + verb)
            .containsAll(expected);
      }
    });
    // and each flag fills its field: every flag of a kind given at once, each field (or its message) then set
    kinds.values().forEach(SpecFlagsTest::everyFlagFillsItsField);
    everyFlagFillsItsField(QuotaSpec.getDescriptor());
    CommandSpec quotaSet = cli.getSubcommands().get("quota").getSubcommands().get("set").getCommandSpec();
    assertThat(quotaSet.options().stream().map(OptionSpec::longestName))
        .containsAll(QuotaSpec.getDescriptor().getFields().stream().map(SpecFlagsTest::flagName).toList());
  }

  private static void everyFlagFillsItsField(Descriptor spec) {
    var flags = new SpecFlags<>(DynamicMessage.getDefaultInstance(spec)) {};
    CommandSpec command = CommandSpec.create();
    List<String> args = new ArrayList<>();
    for (OptionSpec o : flags.options()) {
      command.addOption(o);
      args.add(o.longestName());
      args.add(o.type() == Boolean.class ? "true" : o.type() == Integer.class || o.type() == Long.class ? "1"
          : o.type() == com.google.protobuf.Duration.class ? "1s"
          : o.completionCandidates() != null ? o.completionCandidates().iterator().next()
          : o.longestName().equals("--insert-headers") ? "X-Forwarded-For=true" : "x");
    }
    new CommandLine(command).parseArgs(args.toArray(String[]::new));
    Message made = flags.spec();
    for (FieldDescriptor f : spec.getFields()) {
      assertThat(f.isRepeated() ? made.getRepeatedFieldCount(f) > 0 : made.hasField(f))
          .as(spec.getName() + "." + f.getName() + " from " + args).isTrue();
    }
  }

  private static String flagName(FieldDescriptor f) {
    String name = f.getOptions().getExtension(CliProto.flag).getName();
    return "--" + (name.isEmpty() ? f.getName().replace('_', '-') : name);
  }

  // ------------------------------------------------------------------ a Spec made at run time

  private static SpecFlags<DynamicMessage> parse(String... args) {
    var flags = new SpecFlags<>(DynamicMessage.getDefaultInstance(WIDGET)) {};
    CommandSpec command = CommandSpec.create();
    flags.options().forEach(command::addOption);
    new CommandLine(command).parseArgs(args);
    return flags;
  }

  private static String usage(Descriptor spec) {
    CommandSpec command = CommandSpec.create().name("widget");
    new SpecFlags<>(DynamicMessage.getDefaultInstance(spec)) {}.options().forEach(command::addOption);
    command.usageMessage().sortOptions(false);
    var out = new StringWriter();
    new CommandLine(command).usage(new PrintWriter(out));
    return out.toString();
  }

  private static FieldDescriptor field(String name) {
    return WIDGET.findFieldByName(name);
  }

  /**
   * message WidgetSpec: one field of each shape a Spec has; {@code withHelp} false leaves out the help of
   * {@code size}.
   */
  private static Descriptor widgetSpec(boolean withHelp) {
    var widget = DescriptorProto.newBuilder().setName("WidgetSpec")
        .addField(field("name", 1, Type.TYPE_STRING, null))
        .addField(field("size", 2, Type.TYPE_INT32, withHelp ? flag("N", "How big.") : null))
        .addField(field("shiny", 3, Type.TYPE_BOOL, flag("", "Whether it shines.")))
        .addField(field("color", 4, Type.TYPE_ENUM, flag("COLOR", "One of ${COMPLETION-CANDIDATES}."))
            .setTypeName(".test.Color"))
        .addField(field("ttl", 5, Type.TYPE_MESSAGE, flag("DURATION", "How long."))
            .setTypeName(".google.protobuf.Duration"))
        .addField(field("labels", 6, Type.TYPE_STRING, flag("LABEL", "Labels.")).setLabel(Label.LABEL_REPEATED))
        .addField(field("labels_set", 7, Type.TYPE_BOOL, null))
        .addField(field("extras", 8, Type.TYPE_MESSAGE, flag("K=V", "Extras.")).setLabel(Label.LABEL_REPEATED)
            .setTypeName(".test.WidgetSpec.ExtrasEntry"))
        .addField(field("extras_set", 9, Type.TYPE_BOOL, null))
        .addField(field("part", 10, Type.TYPE_MESSAGE, null).setTypeName(".test.Part"))
        .addField(field("pool_id", 11, Type.TYPE_STRING, Flag.newBuilder().setValue("POOL").setRefersTo("POOL")
            .setHelp("A pool.").build()))
        .addField(field("tags", 12, Type.TYPE_STRING, null).setLabel(Label.LABEL_REPEATED))
        .addField(field("tags_set", 13, Type.TYPE_BOOL, null))
        .addField(field("admin_state_up", 14, Type.TYPE_BOOL, null))
        .addNestedType(DescriptorProto.newBuilder().setName("ExtrasEntry")
            .setOptions(MessageOptions.newBuilder().setMapEntry(true))
            .addField(field("key", 1, Type.TYPE_STRING, null))
            .addField(field("value", 2, Type.TYPE_STRING, null)));
    var part = DescriptorProto.newBuilder().setName("Part")
        .addField(field("kind", 1, Type.TYPE_STRING, Flag.newBuilder().setName("part").setValue("KIND")
            .setRequiredWithMessage(true).setHelp("The part.").build()))
        .addField(field("count", 2, Type.TYPE_INT32, Flag.newBuilder().setName("part-count").setValue("N")
            .setHelp("How many.").build()));
    var color = EnumDescriptorProto.newBuilder().setName("Color")
        .setOptions(EnumOptions.newBuilder().setExtension(CliProto.noun, "a colour"))
        .addValue(EnumValueDescriptorProto.newBuilder().setName("COLOR_UNSPECIFIED").setNumber(0))
        .addValue(EnumValueDescriptorProto.newBuilder().setName("RED").setNumber(1))
        .addValue(EnumValueDescriptorProto.newBuilder().setName("BLUE").setNumber(2));
    var file = FileDescriptorProto.newBuilder().setName("test/widget.proto").setPackage("test").setSyntax("proto2")
        .addDependency("google/protobuf/duration.proto").addDependency("fiberlb/v1/cli.proto")
        .addMessageType(widget).addMessageType(part).addEnumType(color).build();
    try {
      return FileDescriptor.buildFrom(file,
          new FileDescriptor[] {DurationProto.getDescriptor(), CliProto.getDescriptor()})
          .findMessageTypeByName("WidgetSpec");
    } catch (DescriptorValidationException e) {
      throw new AssertionError(e);
    }
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type, Flag flag) {
    var f = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(Label.LABEL_OPTIONAL);
    if (flag != null) f.setOptions(FieldOptions.newBuilder().setExtension(CliProto.flag, flag));
    return f;
  }

  private static Flag flag(String value, String help) {
    return Flag.newBuilder().setValue(value).setHelp(help).build();
  }
}
