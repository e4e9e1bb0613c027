package io.fiberlb.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.DryRun;
import io.fiberlb.controlplane.certificate.CertificateEntity;
import io.fiberlb.controlplane.certificate.CertificateFacts;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Certificates as the API shows them, and what a certificate write asked with validate_only would change. */
final class CertificateViews {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CertificateViews() {}

  static Certificate proto(CertificateEntity.Certificate c, Instant now) {
    CertificateFacts f = c.facts();
    return Certificate.newBuilder().setId(c.id()).setName(c.name()).setDescription(c.description())
        .setType(f.type() == CertificateFacts.Type.CA_BUNDLE ? Certificate.Type.CA_BUNDLE : Certificate.Type.SERVER)
        .setFingerprint(f.fingerprint()).setSubject(f.subject()).addAllSans(f.sans())
        .setNotBefore(ProtoMapper.ts(f.notBefore())).setNotAfter(ProtoMapper.ts(f.notAfter()))
        .setKeyType(f.keyType()).setStatus(Certificate.Status.valueOf(f.status(now))).setChainLength(f.chainLength())
        .setCreatedAt(ProtoMapper.ts(c.createdAt())).setUpdatedAt(ProtoMapper.ts(c.updatedAt())).build();
  }

  /**
   * The changes from {@code before} (null: created) to {@code after} (null: deleted), field by field by API name;
   * versions are the certificate's own (1 when created, one more per change).
   */
  static DryRun dryRun(CertificateEntity.Certificate before, CertificateEntity.Certificate after) {
    var b = DryRun.newBuilder().setFromVersion(before == null ? 0 : before.version())
        .setToVersion(after == null ? (before == null ? 0 : before.version()) : after.version());
    String id = after != null ? after.id() : before.id();
    if (before == null) {
      b.addChanges(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind("certificate").setResourceId(id)
          .setAfter(json(fields(after))));
    } else if (after == null) {
      b.addChanges(Change.newBuilder().setType(Change.Type.REMOVED).setResourceKind("certificate").setResourceId(id)
          .setBefore(json(fields(before))));
    } else {
      Map<String, Object> from = fields(before);
      Map<String, Object> to = fields(after);
      for (var e : to.entrySet()) {
        Object old = from.get(e.getKey());
        if (!e.getValue().equals(old)) {
          b.addChanges(Change.newBuilder().setType(Change.Type.CHANGED).setResourceKind("certificate")
              .setResourceId(id).setField(e.getKey()).setBefore(json(old)).setAfter(json(e.getValue())));
        }
      }
    }
    return b.build();
  }

  private static Map<String, Object> fields(CertificateEntity.Certificate c) {
    var m = new LinkedHashMap<String, Object>();
    CertificateFacts f = c.facts();
    m.put("id", c.id());
    m.put("name", c.name());
    m.put("description", c.description());
    m.put("type", f.type().name());
    m.put("fingerprint", f.fingerprint());
    m.put("subject", f.subject());
    m.put("sans", f.sans());
    m.put("not_before", f.notBefore().toString());
    m.put("not_after", f.notAfter().toString());
    m.put("key_type", f.keyType());
    m.put("chain_length", f.chainLength());
    return m;
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
