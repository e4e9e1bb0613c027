package io.fiberlb.cli;

import static io.fiberlb.cli.CliAgainstServerTest.exec;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.cli.CliAgainstServerTest.Result;

import io.fiberlb.it.TestPki;
import io.fiberlb.it.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The CLI against a server that verifies callers over TLS: a token made with {@code fiberlb token create} and
 * added to the server's tokens file is accepted with --token and --ca; without either the call fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliSecurityTest {
  private Path dir;
  private TestPki.Issued ca;
  private Path tokens;
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("fiberlb-cli-tls");
    ca = TestPki.ca(dir, "ca");
    TestPki.Issued cert = TestPki.server(dir, "server", ca);
    tokens = dir.resolve("tokens");
    Files.writeString(tokens, "# tokens\n");
    server = new TestServer(Map.of("fiberlb.grpc.tls.cert", cert.certFile().toString(),
        "fiberlb.grpc.tls.key", cert.keyFile().toString(), "fiberlb.auth.tokens-file", tokens.toString(),
        "fiberlb.auth.reload-interval", "100ms"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Result call(String... args) {
    var all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port()));
    all.addAll(List.of(args));
    return exec(all.toArray(String[]::new));
  }

  @Test
  void aCreatedTokenWorksOverTlsOnceItsLineIsInTheFile() throws Exception {
    Result made = exec("token", "create", "--org", "acme", "--project", "web", "--role", "member", "--name", "ci");
    assertThat(made.code()).as(made.err()).isZero();
    String token = made.out().lines().filter(l -> l.startsWith("token")).findFirst().orElseThrow()
        .replaceAll(".*: ", "");
    String line = made.out().lines().filter(l -> l.startsWith("sha256:")).findFirst().orElseThrow();
    assertThat(line).endsWith(" acme web member ci").doesNotContain(token);
    assertThat(token).startsWith("flb_");

    String ca = this.ca.certFile().toString();
    Result before = call("--ca", ca, "--token", token, "lb", "list");
    assertThat(before.code()).isEqualTo(1);
    assertThat(before.err()).contains("UNAUTHENTICATED: invalid credentials");

    Files.writeString(tokens, line + "\n", java.nio.file.StandardOpenOption.APPEND);
    io.fiberlb.it.Poll.until("the token accepted", java.time.Duration.ofSeconds(10),
        () -> call("--ca", ca, "--token", token, "lb", "create", "--name", "web"), r -> r.code() == 0);
    Result listed = call("--ca", ca, "--token", token, "--json", "lb", "list");
    assertThat(listed.code()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("\"name\": \"web\"");

    Result plaintext = call("--token", token, "lb", "list");
    assertThat(plaintext.code()).isNotZero();
    Result untrusted = call("--ca", TestPki.ca(dir, "other").certFile().toString(), "--token", token, "lb", "list");
    assertThat(untrusted.code()).isNotZero();
  }

  @Test
  void aMissingKeyOrUnreadableFileIsAUsageError() {
    assertThat(call("--cert", ca.certFile().toString(), "lb", "list").code()).isEqualTo(2);
    assertThat(call("--ca", dir.resolve("absent.pem").toString(), "lb", "list").code()).isEqualTo(2);
    assertThat(exec("token", "create", "--org", "acme", "--project", "web", "--role", "boss").code()).isEqualTo(2);
  }
}
