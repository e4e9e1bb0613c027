package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * README.md, executed: the shell blocks of "Five minutes with the CLI" and "Serving traffic" run with bash in a
 * temporary directory, {@code bin/fiberlb} being this build's CLI, against a real server with a data plane (its own
 * VIP range), with real backends (python3's http.server) and curl through the VIP. Each command's output is
 * compared with what the README shows under it, by shape: ids, times, numbers and node addresses are
 * placeholders, everything else (field names, statuses, the order of lines) must be the same; an {@code error:}
 * line means exit status 1 and that text on stderr, anything else exit 0. The README's ports (8080, 8081, 8082) are
 * replaced by free ones, so the test runs beside anything else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadmeTest {
  private static final Path README = Path.of("README.md");
  private TestServer server;
  private Path dir;

  /** One {@code $ command} of a block and the lines the README shows under it. */
  record Step(String command, List<String> expected) {}

  /** What one command did. */
  record Ran(int code, String out, String err) {}

  @BeforeAll
  void start() throws IOException {
    int range = ThreadLocalRandom.current().nextInt(100, 200);
    server = new TestServer(Map.of("fiberlb.dataplane.enabled", true, "fiberlb.vip-range", "127.0." + range + ".0/24"));
    dir = Files.createTempDirectory("fiberlb-readme");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path logback = dir.resolve("logback-cli.xml");
    Files.writeString(logback, """
        <configuration>
          <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
            <target>System.err</target>
            <encoder><pattern>%level %logger{24}: %msg%n</pattern></encoder>
          </appender>
          <root level="WARN"><appender-ref ref="ERR"/></root>
        </configuration>
        """);
    // bin/fiberlb as the README calls it: this build's classes, with the options bin/fiberlb gives a client.
    Path cli = bin.resolve("fiberlb");
    Files.writeString(cli, "#!/usr/bin/env bash\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
        + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlogback.configurationFile='" + logback + "' -cp '"
        + System.getProperty("java.class.path") + "' io.fiberlb.Main \"$@\"\n");
    assertThat(cli.toFile().setExecutable(true)).isTrue();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void theWalkThroughRunsAsShown() throws Exception {
    runAndCompare(block("## Five minutes with the CLI"), "walk-through");
  }

  @Test
  void servingTrafficRunsAsShown() throws Exception {
    runAndCompare(block("## Serving traffic"), "serving");
  }

  @Test
  void shapesIgnoreIdsTimesAndNumbersButNotWords() {
    assertThat(shape("backend 22ec3d87-7daa-48b6-a83e-c54b997be1d6 \"web-1\"  127.0.0.1:8081  ACTIVE/ONLINE"))
        .isEqualTo(shape("backend 5189c948-6e59-4f22-a7b6-c700ce85f00c \"web-1\" 127.0.0.1:40123 ACTIVE/ONLINE"));
    assertThat(shape("created_at  2026-11-21T03:12:00.123456789Z")).isEqualTo(shape("created_at 2027-01-01T00:00:00Z"));
    assertThat(shape("on pekko://fiberlb@127.0.0.1:36053  ACTIVE/ONLINE"))
        .isEqualTo(shape("on pekko://fiberlb@127.0.0.1:1  ACTIVE/ONLINE"));
    assertThat(shape("backend b  ACTIVE/ONLINE")).isNotEqualTo(shape("backend b  ACTIVE/ERROR"));
    assertThat(shape("provisioning_status  ACTIVE")).isNotEqualTo(shape("operating_status  ACTIVE"));
  }

  /** Ids, times, node addresses and numbers as placeholders; runs of blanks as one. */
  static String shape(String line) {
    return line
        .replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID")
        .replaceAll("pekko://fiberlb@[^\\s]+", "NODE")
        .replaceAll("\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z", "TIME")
        .replaceAll("\\d+", "N")
        .replaceAll("\\s+", " ").strip();
  }

  /** The first shell block after the heading: each {@code $ } line a command, the lines under it its output. */
  static List<Step> block(String heading) throws IOException {
    List<String> lines = Files.readAllLines(README);
    int at = lines.indexOf(heading);
    assertThat(at).as("README.md has the heading %s", heading).isNotNegative();
    int open = at + 1;
    while (!lines.get(open).equals("```")) open++;
    List<Step> steps = new ArrayList<>();
    for (int i = open + 1; !lines.get(i).equals("```"); i++) {
      String line = lines.get(i);
      if (line.startsWith("$ ")) steps.add(new Step(line.substring(2), new ArrayList<>()));
      else steps.get(steps.size() - 1).expected().add(line);
    }
    assertThat(steps).as("commands under %s", heading).isNotEmpty();
    return steps;
  }

  /** Runs the steps in one bash session (variables and background jobs carry over), then compares each. */
  private void runAndCompare(List<Step> steps, String name) throws Exception {
    Path work = Files.createDirectories(dir.resolve(name));
    Files.createSymbolicLink(work.resolve("bin"), dir.resolve("bin"));
    Map<String, String> ports = Map.of("8080", String.valueOf(freePort()), "8081", String.valueOf(freePort()),
        "8082", String.valueOf(freePort()));
    Path pids = work.resolve("pids");
    var script = new StringBuilder("set -u\ntrap 'kill $(cat pids) 2>/dev/null' EXIT\ntouch pids\n");
    for (int i = 0; i < steps.size(); i++) {
      String command = steps.get(i).command();
      for (var p : ports.entrySet()) command = command.replaceAll("\\b" + p.getKey() + "\\b", p.getValue());
      boolean background = command.replaceFirst("\\s+#.*$", "").strip().endsWith("&");
      script.append("{ ").append(command).append("\n} >out.").append(i).append(" 2>err.").append(i).append('\n');
      if (background) {
        script.append("echo $! >> pids\n");
        if (command.contains("http.server")) {
          // The README's user starts the backend and types the next command; here the next one comes at once.
          String port = command.replaceAll(".*http\\.server (\\d+).*", "$1");
          script.append("for t in $(seq 100); do (echo > /dev/tcp/127.0.0.1/").append(port)
              .append(") 2>/dev/null && break; sleep 0.1; done\n");
        }
        script.append("echo 0 > rc.").append(i).append('\n');
      } else {
        script.append("echo $? > rc.").append(i).append('\n');
      }
    }
    Files.writeString(work.resolve("run.sh"), script);
    var pb = new ProcessBuilder("bash", "run.sh").directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve("bash.log").toFile());
    pb.environment().put("FIBERLB_SERVER", "127.0.0.1:" + server.port());
    pb.environment().remove("FIBERLB_ORG");
    pb.environment().remove("FIBERLB_PROJECT");
    Process bash = pb.start();
    try {
      assertThat(bash.waitFor(5, TimeUnit.MINUTES)).as("the README's commands finished within 5 minutes").isTrue();
    } finally {
      bash.destroyForcibly();
      if (Files.exists(pids)) {
        for (String pid : Files.readAllLines(pids)) {
          if (!pid.isBlank()) ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroy);
        }
      }
    }
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      Ran ran = new Ran(Integer.parseInt(Files.readString(work.resolve("rc." + i)).strip()),
          Files.readString(work.resolve("out." + i)), Files.readString(work.resolve("err." + i)));
      compare(step, ran);
    }
  }

  private static void compare(Step step, Ran ran) {
    String what = "$ " + step.command() + "\nexit " + ran.code() + "\nstdout:\n" + ran.out() + "stderr:\n" + ran.err();
    boolean error = !step.expected().isEmpty() && step.expected().get(0).startsWith("error:");
    if (error) {
      assertThat(ran.code()).as(what).isEqualTo(1);
      assertThat(shapes(ran.err().lines().toList())).as(what).isEqualTo(shapes(step.expected()));
      return;
    }
    assertThat(ran.code()).as(what).isZero();
    assertThat(shapes(ran.out().lines().toList())).as(what).isEqualTo(shapes(step.expected()));
  }

  private static List<String> shapes(List<String> lines) {
    return lines.stream().map(ReadmeTest::shape).toList();
  }

  private static int freePort() throws IOException {
    try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
