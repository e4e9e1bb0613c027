package io.fiberlb.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reading of the Prometheus text exposition format (0.0.4), with the checks {@code promtool check metrics}
 * makes and a few it leaves to the server: every line parses (metric and label names, escaped label values, a
 * float value), every family has one {@code # TYPE} and one {@code # HELP} before its samples and its samples are
 * together, a sample's name fits its family's type ({@code _bucket} with {@code le}, {@code _sum}, {@code _count}),
 * counters end in {@code _total}, no series appears twice, and a histogram's buckets are cumulative up to a
 * {@code +Inf} bucket equal to its {@code _count}. The Java client library has no parser of its own.
 */
public final class ExpositionCheck {
  private ExpositionCheck() {}

  /** One family as read: its type, help and series (sample name and sorted labels to value). */
  public record Family(String name, String type, String help, Map<String, Double> series) {}

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) (" + NAME.pattern() + ")(?: (.*))?");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** The families of {@code text}; throws an AssertionError listing every problem found. */
  public static Map<String, Family> check(String text) {
    List<String> problems = new ArrayList<>();
    Map<String, String> types = new HashMap<>();
    Map<String, String> helps = new HashMap<>();
    Map<String, Map<String, Double>> series = new LinkedHashMap<>();
    Map<String, List<Sample>> samples = new HashMap<>();
    Set<String> finished = new HashSet<>();
    String current = null;
    if (!text.isEmpty() && !text.endsWith("\n")) problems.add("the text does not end with a newline");
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String at = "line " + (i + 1) + ": ";
      if (line.isEmpty()) continue;
      if (line.startsWith("#")) {
        Matcher m = COMMENT.matcher(line);
        if (!m.matches()) continue; // other comments are allowed
        String family = m.group(2);
        if (finished.contains(family) || (series.containsKey(family) && !family.equals(current))) {
          problems.add(at + family + ": " + m.group(1) + " after its samples");
        }
        if (m.group(1).equals("TYPE")) {
          if (types.put(family, m.group(3)) != null) problems.add(at + family + ": a second TYPE");
          if (m.group(3) == null || !TYPES.contains(m.group(3))) problems.add(at + family + ": unknown type " + m.group(3));
        } else {
          if (helps.put(family, m.group(3) == null ? "" : m.group(3)) != null) problems.add(at + family + ": a second HELP");
          if (m.group(3) == null || m.group(3).isBlank()) problems.add(at + family + ": empty HELP");
          if (m.group(3) != null && !validHelpEscapes(m.group(3))) problems.add(at + family + ": bad escape in HELP");
        }
        if (current != null && !current.equals(family)) finished.add(current);
        current = family;
        series.putIfAbsent(family, new LinkedHashMap<>());
        continue;
      }
      Sample s;
      try {
        s = sample(line);
      } catch (IllegalArgumentException e) {
        problems.add(at + e.getMessage() + ": " + line);
        continue;
      }
      String family = familyOf(s.name, types);
      if (family == null) {
        problems.add(at + s.name + ": no TYPE for this sample");
        continue;
      }
      if (!family.equals(current)) {
        problems.add(at + s.name + ": not next to the other samples of " + family);
        if (current != null) finished.add(current);
        current = family;
      }
      String type = types.get(family);
      String suffix = s.name.substring(family.length());
      boolean fits = switch (type) {
        case "histogram" -> suffix.equals("_bucket") ? s.labels.containsKey("le")
            : suffix.equals("_sum") || suffix.equals("_count");
        case "summary" -> suffix.isEmpty() ? s.labels.containsKey("quantile")
            : suffix.equals("_sum") || suffix.equals("_count");
        default -> suffix.isEmpty();
      };
      if (!fits) problems.add(at + s.name + ": not a sample name a " + type + " named " + family + " has");
      String key = s.name + new TreeMap<>(s.labels);
      if (series.get(family).put(key, s.value) != null) problems.add(at + "a second sample of the series " + key);
      samples.computeIfAbsent(family, f -> new ArrayList<>()).add(s);
    }
    for (String family : types.keySet()) {
      if (!helps.containsKey(family)) problems.add(family + ": no HELP");
      if (types.get(family).equals("counter") && !family.endsWith("_total")) {
        problems.add(family + ": counter names should end in _total");
      }
      if (types.get(family).equals("histogram")) histograms(family, samples.getOrDefault(family, List.of()), problems);
    }
    for (String family : helps.keySet()) {
      if (!types.containsKey(family)) problems.add(family + ": HELP but no TYPE");
    }
    if (!problems.isEmpty()) throw new AssertionError("the exposition is not valid:\n  " + String.join("\n  ", problems));
    var out = new TreeMap<String, Family>();
    types.forEach((name, type) -> out.put(name, new Family(name, type, helps.get(name), series.get(name))));
    return out;
  }

  private static boolean validHelpEscapes(String help) {
    for (int i = 0; i < help.length(); i++) {
      if (help.charAt(i) == '\\') {
        if (i + 1 >= help.length() || "\\n".indexOf(help.charAt(i + 1)) < 0) return false;
        i++;
      }
    }
    return true;
  }

  /** The family a sample belongs to: its own name, or that name less a histogram's or summary's suffix. */
  private static String familyOf(String name, Map<String, String> types) {
    if (types.containsKey(name)) return name;
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if (type != null && (type.equals("histogram") || type.equals("summary"))) return base;
      }
    }
    return null;
  }

  /** Per series (labels without le): buckets non-decreasing in le, +Inf present and equal to _count. */
  private static void histograms(String family, List<Sample> samples, List<String> problems) {
    Map<Map<String, String>, TreeMap<Double, Double>> buckets = new HashMap<>();
    Map<Map<String, String>, Double> counts = new HashMap<>();
    for (Sample s : samples) {
      Map<String, String> id = new TreeMap<>(s.labels);
      String le = id.remove("le");
      if (s.name.endsWith("_bucket")) {
        double bound;
        try {
          bound = value(le);
        } catch (IllegalArgumentException e) {
          problems.add(family + id + ": bad le '" + le + "'");
          continue;
        }
        buckets.computeIfAbsent(id, x -> new TreeMap<>()).put(bound, s.value);
      } else if (s.name.endsWith("_count")) {
        counts.put(id, s.value);
      }
    }
    buckets.forEach((id, b) -> {
      double last = 0;
      for (var e : b.entrySet()) {
        if (e.getValue() < last) problems.add(family + id + ": bucket le=" + e.getKey() + " is below the one before it");
        last = e.getValue();
      }
      if (!b.containsKey(Double.POSITIVE_INFINITY)) problems.add(family + id + ": no +Inf bucket");
      else if (!b.get(Double.POSITIVE_INFINITY).equals(counts.get(id))) {
        problems.add(family + id + ": +Inf bucket " + b.get(Double.POSITIVE_INFINITY) + " differs from _count "
            + counts.get(id));
      }
    });
  }

  private record Sample(String name, Map<String, String> labels, double value) {}

  /** {@code name{a="x",b="y"} value [timestamp]}, strictly. */
  private static Sample sample(String line) {
    Matcher n = NAME.matcher(line);
    if (!n.lookingAt()) throw new IllegalArgumentException("no metric name");
    String name = n.group();
    int i = n.end();
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (true) {
        if (i < line.length() && line.charAt(i) == '}') {
          i++;
          break;
        }
        Matcher l = LABEL.matcher(line).region(i, line.length());
        if (!l.lookingAt()) throw new IllegalArgumentException("bad label name at " + i);
        String label = l.group();
        if (label.startsWith("__")) throw new IllegalArgumentException("reserved label name " + label);
        i = l.end();
        if (!line.startsWith("=\"", i)) throw new IllegalArgumentException("label " + label + " without =\"");
        i += 2;
        var value = new StringBuilder();
        while (true) {
          if (i >= line.length()) throw new IllegalArgumentException("label " + label + ": unterminated value");
          char c = line.charAt(i++);
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.length()) throw new IllegalArgumentException("label " + label + ": dangling escape");
            char e = line.charAt(i++);
            switch (e) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> throw new IllegalArgumentException("label " + label + ": bad escape \\" + e);
            }
          } else {
            value.append(c);
          }
        }
        if (labels.put(label, value.toString()) != null) throw new IllegalArgumentException("label " + label + " twice");
        if (i < line.length() && line.charAt(i) == ',') i++;
        else if (i >= line.length() || line.charAt(i) != '}') throw new IllegalArgumentException("expected , or }");
      }
    }
    if (i >= line.length() || line.charAt(i) != ' ') throw new IllegalArgumentException("no space before the value");
    String[] rest = line.substring(i + 1).split(" ", -1);
    if (rest.length > 2) throw new IllegalArgumentException("more than a value and a timestamp");
    double value = value(rest[0]);
    if (rest.length == 2) {
      try {
        Long.parseLong(rest[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad timestamp " + rest[1]);
      }
    }
    return new Sample(name, labels, value);
  }

  private static double value(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> {
        if (!v.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
          throw new IllegalArgumentException("bad value '" + v + "'");
        }
        yield Double.parseDouble(v);
      }
    };
  }
}
