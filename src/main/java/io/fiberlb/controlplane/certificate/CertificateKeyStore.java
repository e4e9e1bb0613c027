package io.fiberlb.controlplane.certificate;

import io.fiberlb.port.CertificateSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Certificate material in table {@code certificate_keys} of the journal's database (H2 or PostgreSQL), one row per
 * certificate: the PEM chain (public) and the private key sealed with AES-GCM under the key-encryption key
 * ({@link KeyEncryption}). Unlike the event journal, rows are really deleted: deleting a certificate removes its
 * key. The data plane reads it as a {@link CertificateSource}: a read asks the database for the row's fingerprint
 * and decrypts only when it has not decrypted that fingerprint yet; {@link #onChange} tells this node's TLS
 * listeners, and through the cluster pub-sub the other nodes' (the wiring subscribes it), at once when a certificate
 * is rotated or deleted here.
 *
 * <p>Thread-safe: one connection of its own, used under this object's lock (writes are rare; reads are one small
 * query).
 */
public final class CertificateKeyStore implements CertificateSource, AutoCloseable {
  private static final String DELETE = "DELETE FROM certificate_keys WHERE certificate_id = ?";
  private static final String INSERT = "INSERT INTO certificate_keys (certificate_id, org_id, project_id, name,"
      + " fingerprint, not_after, chain_pem, private_key_sealed, kek_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String FINGERPRINT = "SELECT fingerprint FROM certificate_keys WHERE certificate_id = ?";
  private static final String READ = "SELECT fingerprint, chain_pem, private_key_sealed FROM certificate_keys"
      + " WHERE certificate_id = ?";

  private final String url;
  private final String user;
  private final String password;
  private final KeyEncryption kek;
  private Connection connection;
  /** Decrypted material by fingerprint: a rotation changes the fingerprint, so a stale entry is never served. */
  private final Map<String, CertificateMaterial> byFingerprint = new ConcurrentHashMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  public CertificateKeyStore(String url, String user, String password, KeyEncryption kek) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.kek = kek;
  }

  /** A row as written: which certificate, whose, and its material. */
  public record Row(String certificateId, String orgId, String projectId, String name, String fingerprint,
      Instant notAfter, String chainPem, String privateKeyPem) {
    @Override
    public String toString() {
      return "Row[" + certificateId + ", " + fingerprint + "]";
    }
  }

  /** What the expiry metric reads: no material. */
  public record Expiry(String certificateId, String orgId, String projectId, String name, Instant notAfter) {}

  /**
   * Refuses to start when stored keys were sealed under another key-encryption key: a server with the wrong KEK
   * would otherwise start and fail every TLS handshake of those certificates.
   */
  public synchronized void checkKek() {
    try (PreparedStatement ps = connection().prepareStatement(
        "SELECT certificate_id, kek_id FROM certificate_keys WHERE kek_id <> ? AND private_key_sealed IS NOT NULL")) {
      ps.setString(1, kek.id());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new KeyEncryption.WrongKeyException("certificate " + rs.getString(1) + " (and maybe others) was"
              + " stored under key-encryption key id " + rs.getString(2) + ", this server has id " + kek.id()
              + " (" + kek.source() + "); start it with the KEK the certificates were stored under"
              + " (FIBERLB_KEK_FILE)");
        }
      }
    } catch (SQLException e) {
      throw failed("check the stored certificates' key-encryption key", e);
    }
  }

  /** Writes (or replaces) a certificate's row; the key is sealed first and never written in the clear. */
  public void put(Row row) {
    synchronized (this) {
      byte[] sealed = row.privateKeyPem().isEmpty() ? null
          : kek.seal(row.privateKeyPem().getBytes(StandardCharsets.UTF_8), aad(row.certificateId(), row.fingerprint()));
      try {
        Connection c = connection();
        c.setAutoCommit(false);
        try (PreparedStatement d = c.prepareStatement(DELETE); PreparedStatement i = c.prepareStatement(INSERT)) {
          d.setString(1, row.certificateId());
          d.executeUpdate();
          i.setString(1, row.certificateId());
          i.setString(2, row.orgId());
          i.setString(3, row.projectId());
          i.setString(4, row.name());
          i.setString(5, row.fingerprint());
          i.setLong(6, row.notAfter().getEpochSecond());
          i.setString(7, row.chainPem());
          i.setBytes(8, sealed);
          i.setString(9, kek.id());
          i.setLong(10, System.currentTimeMillis());
          i.executeUpdate();
          c.commit();
        } catch (SQLException e) {
          c.rollback();
          throw e;
        } finally {
          c.setAutoCommit(true);
        }
      } catch (SQLException e) {
        throw failed("store certificate " + row.certificateId(), e);
      }
    }
    listeners.forEach(l -> l.accept(row.certificateId()));
  }

  /** Deletes a certificate's row (its key is gone for good); true when there was one. */
  public boolean delete(String certificateId) {
    boolean deleted;
    synchronized (this) {
      try (PreparedStatement ps = connection().prepareStatement(DELETE)) {
        ps.setString(1, certificateId);
        deleted = ps.executeUpdate() > 0;
      } catch (SQLException e) {
        throw failed("delete certificate " + certificateId, e);
      }
    }
    forget(certificateId);
    listeners.forEach(l -> l.accept(certificateId));
    return deleted;
  }

  /** The ids of a project's rows (to find rows a crash left without a certificate). */
  public synchronized List<String> ids(String orgId, String projectId) {
    var out = new ArrayList<String>();
    try (PreparedStatement ps = connection().prepareStatement(
        "SELECT certificate_id FROM certificate_keys WHERE org_id = ? AND project_id = ? ORDER BY certificate_id")) {
      ps.setString(1, orgId);
      ps.setString(2, projectId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw failed("list the certificates of " + orgId + "/" + projectId, e);
    }
    return out;
  }

  /** Every stored certificate's expiry, for the metric. */
  public synchronized List<Expiry> expiries() {
    var out = new ArrayList<Expiry>();
    try (PreparedStatement ps = connection().prepareStatement(
        "SELECT certificate_id, org_id, project_id, name, not_after FROM certificate_keys ORDER BY certificate_id")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Expiry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              Instant.ofEpochSecond(rs.getLong(5))));
        }
      }
    } catch (SQLException e) {
      throw failed("read the certificates' expiry", e);
    }
    return out;
  }

  /** The fingerprint stored for a certificate now, or empty. */
  public synchronized Optional<String> fingerprint(String certificateId) {
    try (PreparedStatement ps = connection().prepareStatement(FINGERPRINT)) {
      ps.setString(1, certificateId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failed("read certificate " + certificateId, e);
    }
  }

  @Override
  public Optional<CertificateMaterial> material(String certificateId) {
    Optional<String> fp = fingerprint(certificateId);
    if (fp.isEmpty()) return Optional.empty();
    CertificateMaterial cached = byFingerprint.get(cacheKey(certificateId, fp.get()));
    if (cached != null) return Optional.of(cached);
    String chain;
    String fingerprint;
    byte[] sealed;
    synchronized (this) {
      try (PreparedStatement ps = connection().prepareStatement(READ)) {
        ps.setString(1, certificateId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) return Optional.empty();
          fingerprint = rs.getString(1);
          chain = rs.getString(2);
          sealed = rs.getBytes(3);
        }
      } catch (SQLException e) {
        throw failed("read certificate " + certificateId, e);
      }
    }
    String key = "";
    if (sealed != null) {
      byte[] plain = kek.open(sealed, aad(certificateId, fingerprint), "certificate " + certificateId);
      key = new String(plain, StandardCharsets.UTF_8);
      Arrays.fill(plain, (byte) 0);
    }
    var material = new CertificateMaterial(chain, key, fingerprint);
    forget(certificateId);
    byFingerprint.put(cacheKey(certificateId, fingerprint), material);
    return Optional.of(material);
  }

  /** Called with a certificate's id after it was written or deleted through this store. */
  public void onChange(Consumer<String> listener) {
    listeners.add(listener);
  }

  @Override
  public synchronized void close() {
    reconnect();
    byFingerprint.clear();
  }

  private void forget(String certificateId) {
    byFingerprint.keySet().removeIf(k -> k.startsWith(certificateId + "/"));
  }

  private static String cacheKey(String certificateId, String fingerprint) {
    return certificateId + "/" + fingerprint;
  }

  private static byte[] aad(String certificateId, String fingerprint) {
    return ("fiberlb-certificate:" + certificateId + ":" + fingerprint).getBytes(StandardCharsets.UTF_8);
  }

  private IllegalStateException failed(String what, SQLException e) {
    reconnect();
    return new StoreUnavailableException("could not " + what + " in the certificate key store: " + e.getMessage(), e);
  }

  /** The database did not answer: nothing was written (the caller may retry). */
  public static final class StoreUnavailableException extends IllegalStateException {
    StoreUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) connection = DriverManager.getConnection(url, user, password);
    return connection;
  }

  private void reconnect() {
    try {
      if (connection != null) connection.close();
    } catch (SQLException ignored) {
      // gone anyway
    }
    connection = null;
  }
}
