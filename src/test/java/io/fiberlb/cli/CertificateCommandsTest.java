package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.it.CertKit;
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
import org.junit.jupiter.api.io.TempDir;

/** {@code fiberlb certificate create|get|list|update|delete} from PEM files against a real server, names for ids. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CertificateCommandsTest {
  private TestServer server;
  @TempDir Path dir;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private CliAgainstServerTest.Result fiberlb(String... args) {
    var all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port(), "--project", "cli-certs"));
    all.addAll(List.of(args));
    return CliAgainstServerTest.exec(all.toArray(String[]::new));
  }

  private static Certificate certificate(CliAgainstServerTest.Result r) throws Exception {
    assertThat(r.code()).as(r.err()).isZero();
    var b = Certificate.newBuilder();
    JsonFormat.parser().merge(r.out(), b);
    return b.build();
  }

  private Path write(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void createGetListRotateDelete() throws Exception {
    var ca = CertKit.ca("CLI CA");
    var leaf = CertKit.leaf(ca, CertKit.Alg.EC, "www.example.com");
    var next = CertKit.leaf(ca, CertKit.Alg.RSA, "www.example.com");
    Path chain = write("chain.pem", leaf.certPem() + ca.certPem());
    Path key = write("key.pem", leaf.keyPem());

    var dry = fiberlb("certificate", "create", "--name", "web", "--certificate-file", chain.toString(),
        "--private-key-file", key.toString(), "--dry-run");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("certificate");
    assertThat(fiberlb("certificate", "list").out()).doesNotContain("web");

    Certificate created = certificate(fiberlb("--json", "certificate", "create", "--name", "web",
        "--certificate-file", chain.toString(), "--private-key-file", key.toString()));
    assertThat(created.getSubject()).isEqualTo("CN=www.example.com");
    assertThat(created.getChainLength()).isEqualTo(2);

    var table = fiberlb("certificate", "list");
    assertThat(table.code()).isZero();
    assertThat(table.out()).contains("web").contains("ACTIVE").contains(created.getFingerprint().substring(0, 16));
    assertThat(certificate(fiberlb("--json", "certificate", "get", "web")).getId()).isEqualTo(created.getId());
    assertThat(fiberlb("certificate", "get", "web").out()).doesNotContain("PRIVATE");

    Certificate rotated = certificate(fiberlb("--json", "certificate", "update", "web", "--certificate-file",
        write("next.pem", next.certPem()).toString(), "--private-key-file", write("next.key",
            next.traditionalKeyPem()).toString()));
    assertThat(rotated.getId()).isEqualTo(created.getId());
    assertThat(rotated.getKeyType()).isEqualTo("RSA-2048");

    var mismatch = fiberlb("certificate", "update", "web", "--certificate-file", chain.toString(),
        "--private-key-file", write("wrong.key", next.keyPem()).toString());
    assertThat(mismatch.code()).isEqualTo(1);
    assertThat(mismatch.err()).contains("INVALID_ARGUMENT").contains("private_key_pem:");
    var usage = fiberlb("certificate", "create", "--name", "x", "--certificate-file", chain.toString());
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("--private-key-file");

    Certificate bundle = certificate(fiberlb("--json", "certificate", "create", "--name", "clients", "--ca-file",
        write("ca.pem", ca.certPem()).toString()));
    assertThat(bundle.getType()).isEqualTo(Certificate.Type.CA_BUNDLE);

    var deleted = fiberlb("certificate", "delete", "web");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(deleted.out()).contains("deleted certificate " + created.getId());
    var gone = fiberlb("certificate", "get", "web");
    assertThat(gone.code()).isEqualTo(1);
    assertThat(gone.err()).contains("no certificate named 'web'");
  }
}
