package io.fiberlb.controlplane.certificate;

import com.typesafe.config.Config;
import io.fiberlb.util.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals certificate private keys with AES-256-GCM under the key-encryption key (KEK) before they reach the
 * database, and opens them again. The JDK's {@code javax.crypto} does it: Google Tink is not served by the registry
 * this project builds from, and one AEAD with a random 96-bit nonce per seal is what Tink's AES-GCM would do too.
 * Each sealed value is {@code nonce || ciphertext+tag}, bound to its row by associated data (certificate id and
 * fingerprint), so a sealed key copied onto another row does not open.
 *
 * <p>Where the KEK comes from ({@code fiberlb.certificates}): {@code kek} (FIBERLB_KEK, base64 of 32 bytes), else
 * {@code kek-file} (FIBERLB_KEK_FILE, a file holding that base64). With neither, an embedded (H2) node generates
 * one into {@code <data-dir>/certificate-kek} (mode 0600) on its first start and logs where: back it up with the
 * data directory, or the certificates' keys cannot be read. With PostgreSQL every node must read the same KEK, so
 * a node without one refuses to start.
 */
public final class KeyEncryption {
  private static final Logger log = LoggerFactory.getLogger(KeyEncryption.class);
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  static final String GENERATED = "certificate-kek";

  private final SecretKeySpec key;
  private final String id;
  private final String source;
  private final SecureRandom random = new SecureRandom();

  KeyEncryption(byte[] kek, String source) {
    if (kek.length != 32) {
      throw new IllegalStateException(source + ": the key-encryption key must be 32 bytes (base64 of them), got "
          + kek.length + " bytes; make one with: head -c 32 /dev/urandom | base64");
    }
    this.key = new SecretKeySpec(kek, "AES");
    // Identifies the KEK without revealing it, stored with each row: a server started with another KEK says so.
    this.id = Hashes.sha256Hex(("fiberlb-kek-id:" + Base64.getEncoder().encodeToString(kek))).substring(0, 16);
    this.source = source;
  }

  /** The KEK from configuration, or the embedded node's generated one. */
  public static KeyEncryption from(Config config) {
    Config c = config.getConfig("fiberlb.certificates");
    String inline = c.getString("kek").trim();
    if (!inline.isEmpty()) return new KeyEncryption(decode(inline, "fiberlb.certificates.kek (FIBERLB_KEK)"), "FIBERLB_KEK");
    String file = c.getString("kek-file").trim();
    if (!file.isEmpty()) return fromFile(Path.of(file), "fiberlb.certificates.kek-file (FIBERLB_KEK_FILE) " + file);
    if (!config.getString("fiberlb.database.kind").equals("h2")) {
      throw new IllegalStateException("fiberlb.certificates.kek-file (FIBERLB_KEK_FILE) or FIBERLB_KEK must be set"
          + " with PostgreSQL: certificate private keys are stored encrypted under it, and every node must read the"
          + " same one (make one with: head -c 32 /dev/urandom | base64 > kek; chmod 600 kek)");
    }
    Path generated = Path.of(config.getString("fiberlb.data-dir"), GENERATED);
    if (!Files.exists(generated)) generate(generated);
    return fromFile(generated, "the generated key-encryption key " + generated);
  }

  static KeyEncryption fromFile(Path file, String what) {
    try {
      return new KeyEncryption(decode(Files.readString(file, StandardCharsets.US_ASCII).trim(), what), what);
    } catch (IOException e) {
      throw new IllegalStateException(what + ": cannot read it (" + e.getMessage() + ")", e);
    }
  }

  private static void generate(Path file) {
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, Base64.getEncoder().encodeToString(kek) + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a key-encryption key to " + file + ": " + e.getMessage()
          + " (or set FIBERLB_KEK_FILE)", e);
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
    log.warn("generated the key-encryption key for certificate private keys: {} (mode 0600). Keep it with the data"
        + " directory's backups: without it stored certificates cannot be read. Set FIBERLB_KEK_FILE to use your"
        + " own.", file.toAbsolutePath());
  }

  private static byte[] decode(String base64, String what) {
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(what + ": must be base64 of 32 random bytes (" + e.getMessage() + ")");
    }
  }

  /** A short public name of this KEK (not derived reversibly from it), stored beside what it sealed. */
  public String id() {
    return id;
  }

  /** Where it came from, for messages (never the key). */
  public String source() {
    return source;
  }

  byte[] seal(byte[] plain, byte[] associated) {
    try {
      byte[] nonce = new byte[NONCE];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associated);
      byte[] ct = c.doFinal(plain);
      byte[] out = new byte[NONCE + ct.length];
      System.arraycopy(nonce, 0, out, 0, NONCE);
      System.arraycopy(ct, 0, out, NONCE, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is in every Java runtime", e);
    }
  }

  /** The plain bytes; fails with a clear message when this KEK did not seal them (or they were altered). */
  byte[] open(byte[] sealed, byte[] associated, String what) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE));
      c.updateAAD(associated);
      return c.doFinal(sealed, NONCE, sealed.length - NONCE);
    } catch (AEADBadTagException e) {
      throw new WrongKeyException(what + ": its private key does not decrypt with the key-encryption key of this"
          + " server (" + source + ", id " + id + "): it was stored under another KEK, or altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(what + ": cannot decrypt its private key: " + e.getMessage(), e);
    }
  }

  /** The stored keys were sealed under another key-encryption key than the one this server has. */
  public static final class WrongKeyException extends IllegalStateException {
    public WrongKeyException(String message) {
      super(message);
    }
  }
}
