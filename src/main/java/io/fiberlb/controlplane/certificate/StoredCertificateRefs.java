package io.fiberlb.controlplane.certificate;

import io.fiberlb.controlplane.CertificateRefs;
import io.fiberlb.controlplane.model.Rejection;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * {@link CertificateRefs} over the key store: an id must name a certificate of the caller's project (the store's
 * rows are per project) that has not expired. Store reads block briefly, so they run on {@code blocking}.
 */
public final class StoredCertificateRefs implements CertificateRefs {
  private final CertificateKeyStore store;
  private final Executor blocking;
  private final Clock clock;

  public StoredCertificateRefs(CertificateKeyStore store, Executor blocking, Clock clock) {
    this.store = store;
    this.blocking = blocking;
    this.clock = clock;
  }

  @Override
  public CompletionStage<Optional<Rejection>> check(String orgId, String projectId,
      Map<String, List<String>> idsByField) {
    if (idsByField.values().stream().allMatch(List::isEmpty)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return CompletableFuture.supplyAsync(() -> checkNow(orgId, projectId, idsByField), blocking);
  }

  private Optional<Rejection> checkNow(String orgId, String projectId, Map<String, List<String>> idsByField) {
    List<String> ours = store.ids(orgId, projectId);
    Map<String, CertificateKeyStore.Expiry> expiries = new HashMap<>();
    for (var e : store.expiries()) expiries.put(e.certificateId(), e);
    for (var field : idsByField.entrySet()) {
      for (String id : field.getValue()) {
        if (!ours.contains(id)) {
          return Optional.of(Rejection.notFound(field.getKey() + ": no certificate " + id + " in this project"));
        }
        var expiry = expiries.get(id);
        if (expiry != null && expiry.notAfter().isBefore(clock.instant())) {
          return Optional.of(Rejection.precondition(field.getKey() + ": certificate " + id + " expired at "
              + expiry.notAfter() + "; rotate it (certificate update) or name another"));
        }
      }
    }
    return Optional.empty();
  }
}
