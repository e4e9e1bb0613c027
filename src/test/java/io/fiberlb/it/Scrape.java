package io.fiberlb.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scrape of a node's {@code /metrics} over real HTTP, as Prometheus does it, parsed into samples so that
 * tests can ask for one series by its labels.
 */
public final class Scrape {
  /** One line of the text format: {@code name{label="value",...} 1.0}. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public final String text;
  public final String contentType;
  public final List<Sample> samples;

  private Scrape(String text, String contentType) {
    this.text = text;
    this.contentType = contentType;
    this.samples = parse(text);
  }

  public static Scrape of(int port) {
    try {
      HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 200) throw new AssertionError("GET /metrics: HTTP " + res.statusCode() + "\n" + res.body());
      return new Scrape(res.body(), res.headers().firstValue("content-type").orElse(""));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The samples of {@code name} whose labels include all of {@code labels}. */
  public List<Sample> find(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name.equals(name) && s.labels.entrySet().containsAll(labels.entrySet()))
        .toList();
  }

  /** The value of the one series of {@code name} with exactly {@code labels}, or null if there is none. */
  public Double value(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name.equals(name) && s.labels.equals(labels)).map(Sample::value)
        .findFirst().orElse(null);
  }

  /** The sum over the series of {@code name} that include {@code labels}; 0 if there are none. */
  public double sum(String name, Map<String, String> labels) {
    return find(name, labels).stream().mapToDouble(Sample::value).sum();
  }

  static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      Map<String, String> labels = new LinkedHashMap<>();
      String name;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        int end = labels(line, brace + 1, labels);
        space = line.indexOf(' ', end);
      } else {
        name = line.substring(0, line.indexOf(' '));
        space = line.indexOf(' ');
      }
      String value = line.substring(space + 1).trim().split(" ")[0];
      out.add(new Sample(name, labels, Double.parseDouble(value.replace("+Inf", "Infinity"))));
    }
    return out;
  }

  /** Reads {@code a="x",b="y"}} from {@code i} into {@code into}; answers the index after the closing brace. */
  private static int labels(String line, int i, Map<String, String> into) {
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq);
      var value = new StringBuilder();
      int j = eq + 2; // past ="
      while (line.charAt(j) != '"') {
        char c = line.charAt(j);
        if (c == '\\') {
          char next = line.charAt(++j);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
        j++;
      }
      into.put(key, value.toString());
      i = j + 1;
      if (line.charAt(i) == ',') i++;
    }
    return i + 1;
  }
}
