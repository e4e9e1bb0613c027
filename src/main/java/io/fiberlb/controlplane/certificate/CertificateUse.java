package io.fiberlb.controlplane.certificate;

import io.fiberlb.controlplane.model.Caller;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which listeners use a certificate (as default, SNI or client CA certificate): a certificate in use is not deleted.
 * The listeners live in the load balancer entities, so the answer is theirs (the API's {@code ListenerCertificateUse}
 * asks the caller's project's load balancers).
 *
 * <p>What a refusal guarantees: a delete is refused when, at the moment it is asked, a listener of the project names
 * the certificate. The check and the delete are not one transaction: a listener create or update that checked the
 * certificate exists ({@link StoredCertificateRefs}) before the delete was journaled, and whose own write lands after
 * this check looked at its load balancer, can still name the deleted certificate (the window is one listener write
 * racing one delete, milliseconds). That listener keeps what a running TLS termination already loaded, and where it
 * is built anew it does not bind (the engine reports "its certificates are not available") until it is updated to
 * name another certificate; nothing else is harmed, and any listener write after the delete naming the certificate
 * is refused (it no longer exists).
 */
public interface CertificateUse {

  /**
   * Descriptions of the listeners of the caller's project that use the certificate ("load balancer L listener X as
   * default_tls_container_ref"); empty when none.
   */
  CompletionStage<List<String>> usedBy(Caller caller, String certificateId);

  /** Never refuses: for tests of the certificate store alone. */
  CertificateUse NOT_TRACKED = (caller, id) -> CompletableFuture.completedFuture(List.of());
}
