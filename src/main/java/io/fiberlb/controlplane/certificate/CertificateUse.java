package io.fiberlb.controlplane.certificate;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which listeners use a certificate (as default, SNI or client CA certificate): a certificate in use is not deleted.
 * The listeners live in the load balancer entities, so the answer is theirs; {@link #NOT_TRACKED} is what runs until
 * listeners can name certificates (issue 12's merge wires the real answer in; until then a delete is not refused).
 */
public interface CertificateUse {

  /** Descriptions of the listeners that use the certificate ("load balancer L listener X"); empty when none. */
  CompletionStage<List<String>> usedBy(String orgId, String projectId, String certificateId);

  /** No listener can name a certificate yet. */
  CertificateUse NOT_TRACKED = (org, project, id) -> CompletableFuture.completedFuture(List.of());
}
