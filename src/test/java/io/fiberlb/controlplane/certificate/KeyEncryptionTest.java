package io.fiberlb.controlplane.certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AES-GCM sealing under the KEK: round trip, bound to its row, a wrong KEK named; where the KEK comes from. */
class KeyEncryptionTest {
  @TempDir Path dir;

  private static KeyEncryption kek(int fill) {
    byte[] k = new byte[32];
    java.util.Arrays.fill(k, (byte) fill);
    return new KeyEncryption(k, "test KEK " + fill);
  }

  @Test
  void sealsOpensAndRefusesAnotherKeyOrRow() {
    byte[] plain = "-----BEGIN PRIVATE KEY-----\nsecret\n".getBytes(StandardCharsets.UTF_8);
    byte[] aad = "fiberlb-certificate:c-1:ab".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = kek(1).seal(plain, aad);
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("secret");
    assertThat(kek(1).seal(plain, aad)).isNotEqualTo(sealed); // a fresh nonce each time
    assertThat(kek(1).open(sealed, aad, "certificate c-1")).isEqualTo(plain);
    assertThatThrownBy(() -> kek(2).open(sealed, aad, "certificate c-1"))
        .isInstanceOf(KeyEncryption.WrongKeyException.class)
        .hasMessageContaining("certificate c-1").hasMessageContaining("key-encryption key of this server (test KEK 2");
    byte[] otherRow = "fiberlb-certificate:c-2:ab".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> kek(1).open(sealed, otherRow, "certificate c-2"))
        .isInstanceOf(KeyEncryption.WrongKeyException.class);
    assertThat(kek(1).id()).isNotEqualTo(kek(2).id()).hasSize(16);
  }

  @Test
  void theKekComesFromConfigurationOrIsGeneratedForTheEmbeddedDatabaseOnly() throws Exception {
    var base = Map.<String, Object>of("fiberlb.data-dir", dir.toString(), "fiberlb.database.kind", "h2",
        "fiberlb.certificates.kek", "", "fiberlb.certificates.kek-file", "");
    var generated = KeyEncryption.from(ConfigFactory.parseMap(base));
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("certificate-kek"))))
        .isEqualTo("rw-------");
    assertThat(KeyEncryption.from(ConfigFactory.parseMap(base)).id()).isEqualTo(generated.id()); // read back

    Path file = dir.resolve("kek");
    Files.writeString(file, Base64.getEncoder().encodeToString(new byte[32]) + "\n");
    var fromFile = KeyEncryption.from(ConfigFactory.parseMap(Map.of("fiberlb.data-dir", dir.toString(),
        "fiberlb.database.kind", "postgres", "fiberlb.certificates.kek", "",
        "fiberlb.certificates.kek-file", file.toString())));
    assertThat(fromFile.id()).isNotEqualTo(generated.id());

    assertThatThrownBy(() -> KeyEncryption.from(ConfigFactory.parseMap(Map.of("fiberlb.data-dir", dir.toString(),
        "fiberlb.database.kind", "postgres", "fiberlb.certificates.kek", "", "fiberlb.certificates.kek-file", ""))))
        .hasMessageContaining("FIBERLB_KEK_FILE").hasMessageContaining("PostgreSQL");
    assertThatThrownBy(() -> KeyEncryption.from(ConfigFactory.parseMap(Map.of("fiberlb.data-dir", dir.toString(),
        "fiberlb.database.kind", "h2", "fiberlb.certificates.kek", "c2hvcnQ=", "fiberlb.certificates.kek-file", ""))))
        .hasMessageContaining("must be 32 bytes");
  }
}
