package io.fiberlb.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@code -c} picks and how {@code -f json|yaml} print it: the fields of a message named by the user (proto
 * field names, or as a table header writes them), and the reply's JSON cut down to them or turned into YAML.
 * Everything structured starts from the protobuf JSON mapping, so json and yaml always have the same fields.
 */
final class Columns {
  private Columns() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .build());

  /**
   * The fields named, in the order given; every field when none is named, but {@code dry_run} (set only on a dry
   * run's answer, which has its own layout). A name that is no field of the message is a usage mistake, reported
   * with the names it could have been.
   */
  static List<FieldDescriptor> pick(Descriptor message, List<String> names) {
    if (names.isEmpty()) return message.getFields().stream().filter(f -> !f.getName().equals("dry_run")).toList();
    List<FieldDescriptor> picked = new ArrayList<>();
    for (String name : names) {
      FieldDescriptor f = find(message, name);
      if (f == null) {
        throw new Flags.UsageException("-c " + name + ": no such column; the columns are "
            + message.getFields().stream().map(FieldDescriptor::getName).collect(Collectors.joining(", ")));
      }
      picked.add(f);
    }
    return picked;
  }

  /** {@code vip_address}, {@code VIP_ADDRESS}, {@code vip-address}, or a header such as {@code OPERATING}. */
  static FieldDescriptor find(Descriptor message, String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    FieldDescriptor f = message.findFieldByName(wanted);
    if (f != null) return f;
    for (FieldDescriptor each : message.getFields()) {
      if (Output.header(each.getName()).equalsIgnoreCase(wanted)) return each;
    }
    return null;
  }

  /** The JSON of a message (as {@link Output#json} prints it), cut down to the given fields (all if empty). */
  static JsonNode tree(String messageJson, List<FieldDescriptor> fields) {
    JsonNode all = parse(messageJson);
    if (fields.isEmpty() || !(all instanceof ObjectNode object)) return all;
    ObjectNode cut = JSON.createObjectNode();
    for (FieldDescriptor f : fields) {
      JsonNode v = object.get(f.getName());
      if (v != null) cut.set(f.getName(), v);
    }
    return cut;
  }

  /** A List reply's JSON with each item cut down to the given fields; the reply itself keeps its shape. */
  static JsonNode listTree(String replyJson, String itemsField, List<FieldDescriptor> fields) {
    JsonNode reply = parse(replyJson);
    if (fields.isEmpty() || !(reply.get(itemsField) instanceof ArrayNode items)) return reply;
    ArrayNode cut = JSON.createArrayNode();
    for (JsonNode item : items) cut.add(tree(item.toString(), fields));
    ((ObjectNode) reply).set(itemsField, cut);
    return reply;
  }

  static String json(JsonNode tree, boolean pretty) {
    try {
      return pretty ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree) : JSON.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A YAML document, starting with {@code ---} and ending with a newline. */
  static String yaml(JsonNode tree) {
    try {
      return YAML.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the JSON printer wrote what Jackson cannot read: " + e.getMessage(), e);
    }
  }
}
