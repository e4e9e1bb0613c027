package io.fiberlb.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code -f/--format}, {@code -c/--column} and {@code --json}, as the {@code openstack} CLI has them: a mixin of
 * the top command whose options every subcommand inherits, so they work before or after the subcommand
 * ({@code fiberlb lb create --name web -f value -c id}).
 */
final class OutputOptions {
  /** How a reply is printed. */
  enum Format {
    /** Aligned columns for people (the default). */
    TABLE,
    /** The reply as JSON (proto field names, every field); a stream of events as JSON Lines. */
    JSON,
    /** Only the values, without names: one per line for one resource, a line per row for a list. */
    VALUE,
    /** The reply as YAML (the JSON's fields); a stream of events as one YAML document each. */
    YAML;

    /** For --help: {@code table, json, value, yaml}. */
    static final class Names extends ArrayList<String> {
      Names() {
        for (Format f : values()) add(f.name().toLowerCase(Locale.ROOT));
      }
    }

    static final class Converter implements ITypeConverter<Format> {
      @Override
      public Format convert(String text) {
        for (Format f : values()) {
          if (f.name().equalsIgnoreCase(text.trim())) return f;
        }
        throw new TypeConversionException("'" + text + "' is not a format; use one of table, json, value, yaml");
      }
    }
  }

  @Option(names = {"-f", "--format"}, scope = ScopeType.INHERIT, order = 110, paramLabel = "FORMAT",
      converter = Format.Converter.class, completionCandidates = Format.Names.class,
      description = "How to print the reply: table (default; aligned columns), json (the reply as JSON, proto"
          + " field names, every field; streams of events as JSON Lines, one object a line), value (values"
          + " only: one a line, or a line per row of a list, separated by spaces), yaml.")
  Format format;

  @Option(names = {"-c", "--column"}, scope = ScopeType.INHERIT, order = 111, paramLabel = "COLUMN",
      description = "Print only this field (a proto field name such as id, vip_address, operating_status; or as"
          + " the table's header writes it), in the order given; repeatable. For a list: columns of each row.")
  List<String> columns;

  @Option(names = "--json", scope = ScopeType.INHERIT, order = 112,
      description = "The same as -f json: the reply as JSON (proto field names, every field); streams of events"
          + " (audit events) as JSON Lines, one object a line.")
  boolean json;

  /** The format asked for; --json and another -f is a usage mistake. */
  Format format() {
    if (json && format != null && format != Format.JSON) {
      throw new Flags.UsageException("--json is -f json: give one format, not --json and -f "
          + format.name().toLowerCase(Locale.ROOT));
    }
    return json ? Format.JSON : format == null ? Format.TABLE : format;
  }

  /** The columns asked for, in order, without empty entries; empty for every column. */
  List<String> columns() {
    return columns == null ? List.of() : Flags.entries(columns);
  }
}
