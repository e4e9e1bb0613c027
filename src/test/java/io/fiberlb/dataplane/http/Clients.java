package io.fiberlb.dataplane.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real clients for the HTTP tests: the JDK's HttpClient and curl (stopped by its own process when it hangs). */
public final class Clients {
  private Clients() {}

  static final HttpClient H1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  static HttpResponse<String> get(int port, String path, String... headers) throws IOException, InterruptedException {
    return get(H1, port, path, headers);
  }

  static HttpResponse<String> get(HttpClient c, int port, String path, String... headers)
      throws IOException, InterruptedException {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(15));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of line {@code key=} in a backend's echo ("backend", "method", "path", "h:name"), or null. */
  public static String echoed(String body, String key) {
    for (String line : body.split("\n")) {
      if (line.startsWith(key + "=")) return line.substring(key.length() + 1);
    }
    return null;
  }

  /** curl's answer: its exit code, the body it wrote, and what -w printed. */
  public record Curl(int exit, String body, String written) {}

  /** Runs curl with {@code args} (bounded: 20 s), body to a file; -w output after the marker. */
  public static Curl curl(Path dir, String... args) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "curl", ".out");
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "15", "-o", out.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String w;
    try (var in = p.getInputStream()) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("curl did not finish: " + cmd);
      }
      w = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return new Curl(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1), w);
  }

  /** One line of an HTTP head, without its CR LF; fails when the connection ends first. */
  public static String readLine(java.io.InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int b; (b = in.read()) != -1; ) {
      if (b == '\n') return sb.toString();
      if (b != '\r') sb.append((char) b);
    }
    throw new java.io.EOFException("closed mid-line after '" + sb + "'");
  }

  /** Reads up to the blank line that ends an HTTP head; fails when the connection ends first. */
  public static void readHead(java.io.InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) throw new IOException("no request");
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }
}
