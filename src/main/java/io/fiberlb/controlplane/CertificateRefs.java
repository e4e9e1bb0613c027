package io.fiberlb.controlplane;

import io.fiberlb.controlplane.model.Rejection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Whether the certificate ids a listener names can be used: each must name a Certificate of the caller's project
 * that has not expired. The API asks this before it sends a write to the load balancer entity, so the entity stays
 * pure (it never asks the certificate store) and a refused write journals nothing. The Certificate resource and its
 * store are another part's (issue 12, branch i12-tls); until they are wired here, {@link #ACCEPT_ALL} stands in.
 */
public interface CertificateRefs {
  /**
   * @param idsByField the ids by the field that names them ({@code listener.default_tls_container_ref} -> [id])
   * @return empty when every id is usable; else a rejection naming the field and the id: NOT_FOUND for an unknown id
   *     or one of another project (never telling which), FAILED_PRECONDITION for an expired certificate
   */
  CompletionStage<Optional<Rejection>> check(String orgId, String projectId, Map<String, List<String>> idsByField);

  /** Accepts every id: the stand-in until the certificate store is wired. */
  CertificateRefs ACCEPT_ALL = (orgId, projectId, ids) -> CompletableFuture.completedFuture(Optional.empty());
}
