package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.DeleteCertificateRequest;
import io.fiberlb.api.v1.GetCertificateRequest;
import io.fiberlb.api.v1.ListCertificatesRequest;
import io.fiberlb.api.v1.UpdateCertificateRequest;
import io.fiberlb.controlplane.certificate.Certificates;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import io.fiberlb.util.Hashes;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CertificateService through a real gRPC client against a real server on a real H2 file: create (ECDSA P-256 and
 * RSA-2048, PKCS#8 and traditional keys), refusals naming the field, dry runs, rotation, delete; the journal and
 * snapshot tables never hold a private key (raw, hex or base64); the key row really goes; the key store survives a
 * restart; a server with another key-encryption key refuses to start, saying so.
 */
class CertificateApiTest {
  @TempDir Path dir;

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static CreateCertificateRequest create(String name, String chain, String key) {
    return CreateCertificateRequest.newBuilder().setName(name).setCertificatePem(bytes(chain))
        .setPrivateKeyPem(bytes(key)).build();
  }

  private static Status refused(TestServer.Api api, CreateCertificateRequest req) {
    try {
      api.call(api.certificates().createCertificate(), req);
    } catch (RuntimeException e) {
      return TestServer.statusOf(e);
    }
    throw new AssertionError("accepted: " + req.getName());
  }

  @Test
  void createRotateDeleteAndKeysNeverInTheJournal() throws Exception {
    Made ca = CertKit.ca("Test CA");
    Made ec = CertKit.leaf(ca, Alg.EC, "www.example.com", "example.com");
    Made rsa = CertKit.leaf(ca, Alg.RSA, "api.example.com");
    Made rotated = CertKit.leaf(ca, Alg.EC, "www.example.com");
    Made dryRunOnly = CertKit.leaf(ca, Alg.EC, "dry.example.com");
    Made expired = CertKit.leaf(ca, Alg.EC, Instant.now().minusSeconds(86400 * 10), Instant.now().minusSeconds(86400),
        "old.example.com");
    Made future = CertKit.leaf(ca, Alg.EC, Instant.now().plusSeconds(86400), Instant.now().plusSeconds(86400 * 10),
        "new.example.com");
    List<Made> keys = List.of(ec, rsa, rotated, dryRunOnly, expired, future);

    Path data = dir.resolve("data");
    Files.createDirectories(data);
    String id;
    String rsaId;
    try (var server = new TestServer(data, Map.of())) {
      var api = server.as("certs");
      var svc = api.certificates();

      Certificate web = api.call(svc.createCertificate(), create("web", ec.certPem() + ca.certPem(), ec.keyPem()));
      id = web.getId();
      assertThat(web.getFingerprint()).isEqualTo(Hashes.sha256Hex(ec.cert().getEncoded()));
      assertThat(web.getSubject()).isEqualTo("CN=www.example.com");
      assertThat(web.getSansList()).containsExactly("www.example.com", "example.com");
      assertThat(web.getKeyType()).isEqualTo("EC-P256");
      assertThat(web.getStatus()).isEqualTo(Certificate.Status.ACTIVE);
      assertThat(web.getChainLength()).isEqualTo(2);
      assertThat(web.getType()).isEqualTo(Certificate.Type.SERVER);
      assertThat(web.getNotAfter().getSeconds()).isEqualTo(ec.cert().getNotAfter().toInstant().getEpochSecond());

      // RSA-2048 with a traditional PKCS#1 key ("BEGIN RSA PRIVATE KEY"), EC with a SEC1 one.
      Certificate api1 = api.call(svc.createCertificate(), create("api", rsa.certPem(), rsa.traditionalKeyPem()));
      rsaId = api1.getId();
      assertThat(rsa.traditionalKeyPem()).contains("BEGIN RSA PRIVATE KEY");
      assertThat(api1.getKeyType()).isEqualTo("RSA-2048");
      Certificate sec1 = api.call(svc.createCertificate(), create("sec1", rotated.certPem(), rotated.traditionalKeyPem()));
      assertThat(rotated.traditionalKeyPem()).contains("BEGIN EC PRIVATE KEY");
      api.call(svc.deleteCertificate(), DeleteCertificateRequest.newBuilder().setId(sec1.getId()).build());

      // Refusals name the field and the rule, and leave nothing behind.
      Status s = refused(api, create("old", expired.certPem(), expired.keyPem()));
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).startsWith("certificate_pem: the leaf certificate").contains("expired at");
      s = refused(api, create("future", future.certPem(), future.keyPem()));
      assertThat(s.getDescription()).startsWith("certificate_pem:").contains("not valid yet");
      s = refused(api, create("mismatch", ec.certPem(), rsa.keyPem()));
      assertThat(s.getDescription()).startsWith("private_key_pem:").contains("not the leaf's key");
      s = refused(api, create("mismatch2", ec.certPem(), rotated.keyPem()));
      assertThat(s.getDescription()).isEqualTo("private_key_pem: does not match the leaf certificate (CN=www.example.com)");
      s = refused(api, create("garbage", "-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
          ec.keyPem()));
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).startsWith("certificate_pem: block 1");
      s = refused(api, create("nopem", "hello", ec.keyPem()));
      assertThat(s.getDescription()).startsWith("certificate_pem: no PEM certificate found");
      s = refused(api, create("order", ca.certPem() + ec.certPem(), ec.keyPem()));
      assertThat(s.getDescription()).startsWith("certificate_pem: certificate 2 (CN=www.example.com) did not issue"
          + " certificate 1 (CN=Test CA)");
      s = refused(api, create("nokey", ec.certPem(), ""));
      assertThat(s.getDescription()).startsWith("private_key_pem: is required");
      s = refused(api, create("web", rsa.certPem(), rsa.keyPem()));
      assertThat(s.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(s.getDescription()).contains("certificate.name: 'web'");

      // A dry run answers what it would store and stores nothing.
      Certificate dry = api.call(svc.createCertificate(), create("dry", dryRunOnly.certPem(), dryRunOnly.keyPem())
          .toBuilder().setValidateOnly(true).build());
      assertThat(dry.hasDryRun()).isTrue();
      assertThat(dry.getDryRun().getChanges(0).getType().name()).isEqualTo("ADDED");
      var listed = api.call(svc.listCertificates(), ListCertificatesRequest.getDefaultInstance()).getCertificatesList();
      assertThat(listed).extracting(Certificate::getName).containsExactly("web", "api");
      assertThat(keyRows(server)).containsExactlyInAnyOrder(id, rsaId);

      // Rotation: same id, new fingerprint; the store serves the new key.
      var dryRotation = api.call(svc.updateCertificate(), UpdateCertificateRequest.newBuilder().setId(id)
          .setCertificatePem(bytes(rotated.certPem())).setPrivateKeyPem(bytes(rotated.keyPem())).setValidateOnly(true)
          .build());
      assertThat(dryRotation.getDryRun().getChangesList()).extracting(c -> c.getField()).contains("fingerprint");
      assertThat(store(server).material(id).orElseThrow().fingerprint()).isEqualTo(web.getFingerprint());
      Certificate after = api.call(svc.updateCertificate(), UpdateCertificateRequest.newBuilder().setId(id)
          .setCertificatePem(bytes(rotated.certPem())).setPrivateKeyPem(bytes(rotated.keyPem())).build());
      assertThat(after.getId()).isEqualTo(id);
      assertThat(after.getFingerprint()).isEqualTo(Hashes.sha256Hex(rotated.cert().getEncoded()))
          .isNotEqualTo(web.getFingerprint());
      var material = store(server).material(id).orElseThrow();
      assertThat(material.fingerprint()).isEqualTo(after.getFingerprint());
      assertThat(der(material.privateKeyPem())).isEqualTo(rotated.key().getEncoded());
      s = statusOf(() -> api.call(svc.updateCertificate(), UpdateCertificateRequest.newBuilder().setId(id)
          .setCertificatePem(bytes(rsa.certPem())).setPrivateKeyPem(bytes(ec.keyPem())).build()));
      assertThat(s.getDescription()).startsWith("private_key_pem:");

      // The expiry metric reports it.
      var scrape = Scrape.of(server.node().metricsPort());
      assertThat(scrape.value("fiberlb_certificate_not_after_seconds", Map.of("certificate_id", id, "name", "web",
          "org", "default", "project", "certs")))
          .isEqualTo((double) rotated.cert().getNotAfter().toInstant().getEpochSecond());

      // Delete: the key row goes for good.
      String victim = api.call(svc.createCertificate(), create("victim", dryRunOnly.certPem(), dryRunOnly.keyPem()))
          .getId();
      assertThat(keyRows(server)).contains(victim);
      api.call(svc.deleteCertificate(), DeleteCertificateRequest.newBuilder().setId(victim).build());
      assertThat(keyRows(server)).doesNotContain(victim);
      assertThat(statusOf(() -> api.call(svc.getCertificate(), GetCertificateRequest.newBuilder().setId(victim).build()))
          .getCode()).isEqualTo(Status.Code.NOT_FOUND);

      assertNoKeyIn(server, keys);
    }

    // The key store survives a restart and decrypts.
    try (var server = new TestServer(data, Map.of())) {
      var api = server.as("certs");
      Certificate again = api.call(api.certificates().getCertificate(), GetCertificateRequest.newBuilder().setId(id)
          .build());
      assertThat(again.getFingerprint()).isEqualTo(Hashes.sha256Hex(rotated.cert().getEncoded()));
      assertThat(der(store(server).material(id).orElseThrow().privateKeyPem())).isEqualTo(rotated.key().getEncoded());
      assertThat(der(store(server).material(rsaId).orElseThrow().privateKeyPem())).isEqualTo(rsa.key().getEncoded());
      assertNoKeyIn(server, keys);
    }

    // Another key-encryption key: the server refuses to start and says why.
    String otherKek = Base64.getEncoder().encodeToString(new byte[32]);
    assertThatThrownBy(() -> new TestServer(data, Map.of("fiberlb.certificates.kek", otherKek)))
        .hasMessageContaining("key-encryption key id").hasMessageContaining("FIBERLB_KEK_FILE");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(data.resolve("certificate-kek")))).isEqualTo("rw-------");
  }

  private static Status statusOf(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      return TestServer.statusOf(e);
    }
    throw new AssertionError("accepted");
  }

  private static io.fiberlb.controlplane.certificate.CertificateKeyStore store(TestServer server) {
    return Certificates.get(server.node().system()).store();
  }

  private static byte[] der(String pkcs8Pem) throws Exception {
    String body = pkcs8Pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(body);
    KeyFactory.getInstance(pkcs8Pem.length() > 1000 ? "RSA" : "EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    return der;
  }

  private static Connection db(TestServer server) throws Exception {
    return DriverManager.getConnection("jdbc:h2:file:" + server.dataDir + "/fiberlb;DATABASE_TO_UPPER=false",
        "fiberlb", "fiberlb");
  }

  private static List<String> keyRows(TestServer server) throws Exception {
    var out = new ArrayList<String>();
    try (Connection c = db(server); ResultSet rs = c.createStatement().executeQuery(
        "SELECT certificate_id FROM certificate_keys")) {
      while (rs.next()) out.add(rs.getString(1));
    }
    return out;
  }

  /**
   * Every byte of every row of the journal and snapshot tables (and the key table's sealed column) holds none of
   * the private keys: not their DER, not its hex, not its base64, not a 24-byte window of them.
   */
  private static void assertNoKeyIn(TestServer server, List<Made> keys) throws Exception {
    var blobs = new ArrayList<byte[]>();
    try (Connection c = db(server)) {
      for (String table : List.of("event_journal", "snapshot", "event_tag", "certificate_keys")) {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT * FROM \"" + table + "\"")) {
          int cols = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= cols; i++) {
              int type = rs.getMetaData().getColumnType(i);
              boolean binary = type == java.sql.Types.BINARY || type == java.sql.Types.VARBINARY
                  || type == java.sql.Types.LONGVARBINARY || type == java.sql.Types.BLOB;
              byte[] b = binary ? rs.getBytes(i)
                  : rs.getString(i) == null ? null : rs.getString(i).getBytes(StandardCharsets.UTF_8);
              if (b != null) blobs.add(b);
            }
          }
        }
      }
    }
    assertThat(blobs).hasSizeGreaterThan(10); // the scan saw the certificates' events
    String all = new String(concat(blobs), StandardCharsets.ISO_8859_1);
    assertThat(all).contains("www.example.com"); // public facts are there, so the scan reads the right bytes
    for (Made m : keys) {
      // The secret numbers (an RSA key's private exponent and primes, an EC key's scalar): raw and hex, in windows.
      for (byte[] secret : secrets(m.key())) {
        for (int off = 0; off + 24 <= secret.length; off += 24) {
          byte[] window = java.util.Arrays.copyOfRange(secret, off, off + 24);
          assertThat(all).doesNotContain(new String(window, StandardCharsets.ISO_8859_1));
          assertThat(all.toLowerCase()).doesNotContain(HexFormat.of().formatHex(window));
        }
      }
      // Base64: the whole key, and every PEM line of it (PKCS#8 and traditional) that the certificate does not
      // share (an RSA key holds its public modulus too, which the certificate shows).
      assertThat(all).doesNotContain(Base64.getEncoder().encodeToString(m.key().getEncoded()));
      String cert = m.certPem();
      for (String pem : List.of(m.keyPem(), m.traditionalKeyPem())) {
        for (String line : pem.split("\n")) {
          if (line.startsWith("-----") || line.length() < 16 || cert.contains(line)) continue;
          assertThat(all).doesNotContain(line);
        }
      }
    }
  }

  private static List<byte[]> secrets(java.security.PrivateKey key) {
    if (key instanceof java.security.interfaces.RSAPrivateCrtKey r) {
      return List.of(r.getPrivateExponent().toByteArray(), r.getPrimeP().toByteArray(), r.getPrimeQ().toByteArray());
    }
    return List.of(((java.security.interfaces.ECPrivateKey) key).getS().toByteArray());
  }

  private static byte[] concat(List<byte[]> parts) {
    var out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
      out.write(0);
    }
    return out.toByteArray();
  }
}
