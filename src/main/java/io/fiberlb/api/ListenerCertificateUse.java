package io.fiberlb.api;

import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerProtocol.ChildrenReply;
import io.fiberlb.controlplane.certificate.CertificateUse;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Listener;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * {@link CertificateUse} from the load balancers themselves: the caller's project directory lists its load balancers
 * (a page at a time), and each one lists its listeners; a listener uses a certificate when it names it as
 * {@code default_tls_container_ref}, in {@code sni_container_refs} or as {@code client_ca_tls_container_ref}. A load
 * balancer deleted between the two steps answers NOT_FOUND and holds no listener. Only the caller's project is
 * asked: a certificate is named only by listeners of its own project (the listener API checks that).
 */
public final class ListenerCertificateUse implements CertificateUse {
  private final ControlPlaneGateway gw;

  public ListenerCertificateUse(ControlPlaneGateway gw) {
    this.gw = gw;
  }

  @Override
  public CompletionStage<List<String>> usedBy(Caller caller, String certificateId) {
    return loadBalancers(caller, 0, new ArrayList<>()).thenCompose(lbIds -> {
      List<CompletableFuture<List<String>>> each = new ArrayList<>();
      for (String lbId : lbIds) each.add(listeners(caller, lbId, 0, certificateId, new ArrayList<>()).toCompletableFuture());
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(x -> {
        List<String> users = new ArrayList<>();
        for (var f : each) users.addAll(f.join());
        return users;
      });
    });
  }

  private CompletionStage<List<String>> loadBalancers(Caller caller, long after, List<String> into) {
    return gw.listProject(caller, after, ControlPlaneGateway.MAX_PAGE_SIZE).thenCompose(page -> {
      into.addAll(page.lbIds());
      return page.next() == 0 ? CompletableFuture.completedFuture(into) : loadBalancers(caller, page.next(), into);
    });
  }

  private CompletionStage<List<String>> listeners(Caller caller, String lbId, long after, String certificateId,
      List<String> into) {
    return gw.ask(lbId, r -> new LoadBalancerEntity.ListChildren(caller, Kind.LISTENER, "", after,
            ControlPlaneGateway.MAX_PAGE_SIZE, r), reply -> (ChildrenReply) reply)
        .handle((page, err) -> {
          if (err != null) {
            if (notFound(err)) return CompletableFuture.completedFuture(into);
            throw err instanceof RuntimeException r ? r : new RuntimeException(err);
          }
          for (var view : page.items()) {
            if (view.child() instanceof Listener l) {
              for (String field : fields(l, certificateId)) {
                into.add("load balancer " + lbId + " listener " + l.id() + " as " + field);
              }
            }
          }
          return page.next() == 0 ? CompletableFuture.completedFuture(into)
              : listeners(caller, lbId, page.next(), certificateId, into);
        }).thenCompose(f -> f);
  }

  /** The fields of {@code l} that name the certificate, in the API's names. */
  static List<String> fields(Listener l, String certificateId) {
    List<String> fields = new ArrayList<>();
    if (l.defaultTlsContainerRef().equals(certificateId)) fields.add("default_tls_container_ref");
    if (l.sniContainerRefs().contains(certificateId)) fields.add("sni_container_refs");
    if (l.clientCaTlsContainerRef().equals(certificateId)) fields.add("client_ca_tls_container_ref");
    return fields;
  }

  private static boolean notFound(Throwable err) {
    Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
    return t instanceof GrpcServiceException g && g.status().getCode() == Status.Code.NOT_FOUND;
  }
}
