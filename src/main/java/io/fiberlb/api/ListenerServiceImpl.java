package io.fiberlb.api;

import static io.fiberlb.api.ProtoMapper.duration;
import static io.fiberlb.api.ProtoMapper.list;
import static io.fiberlb.api.ProtoMapper.millis;
import static io.fiberlb.api.ProtoMapper.operating;
import static io.fiberlb.api.ProtoMapper.provisioning;
import static io.fiberlb.api.ProtoMapper.ref;
import static io.fiberlb.api.ProtoMapper.ts;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.CertificateRefs;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/** ListenerService, and the API's side of the listener kind: its wire mapping. Certificate ids are checked before the entity is asked. */
public final class ListenerServiceImpl implements ListenerServicePowerApi {
  private final ChildCalls<Listener> calls;
  private final ChildCalls.Precheck certificates;

  /** With every certificate id accepted ({@link CertificateRefs#ACCEPT_ALL}) until the certificate store is wired. */
  public ListenerServiceImpl(ControlPlaneGateway gw) {
    this(gw, CertificateRefs.ACCEPT_ALL);
  }

  public ListenerServiceImpl(ControlPlaneGateway gw, CertificateRefs refs) {
    this.calls = new ChildCalls<>(gw, Kind.LISTENER, ListenerServiceImpl::toWire);
    this.certificates = (caller, patch) -> {
      var ids = certificateIds((io.fiberlb.controlplane.model.Listener.Patch) patch);
      return ids.isEmpty() ? ChildCalls.Precheck.NONE.check(caller, patch)
          : refs.check(caller.orgId(), caller.projectId(), ids);
    };
  }

  @Override
  public CompletionStage<Listener> createListener(CreateListenerRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), null, () -> patch(in.getListener()), in.getRequestId(), certificates);
  }

  @Override
  public CompletionStage<Listener> getListener(GetListenerRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListListenersResponse> listListeners(ListListenersRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), "", in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListListenersResponse.newBuilder().addAllListeners(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<Listener> updateListener(UpdateListenerRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> patch(in.getListener()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null, certificates);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteListener(DeleteListenerRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  // ------------------------------------------------------------------ wire <-> domain

  /** The spec as a patch; only the wire's shape is checked here (enums, durations, ids), values are the entity's. */
  public static io.fiberlb.controlplane.model.Listener.Patch patch(ListenerSpec s) {
    return new io.fiberlb.controlplane.model.Listener.Patch(s.hasName() ? s.getName() : null,
        s.hasDescription() ? s.getDescription() : null,
        s.hasProtocol() ? ProtoMapper.protocol(s.getProtocol(), "listener.protocol") : null,
        s.hasProtocolPort() ? s.getProtocolPort() : null,
        s.hasDefaultPoolId() ? ref(s.getDefaultPoolId(), "listener.default_pool_id") : null,
        s.hasConnectionLimit() ? s.getConnectionLimit() : null,
        s.hasTimeoutClientIdle() ? millis(s.getTimeoutClientIdle(), "listener.timeout_client_idle") : null,
        s.hasTimeoutBackendConnect() ? millis(s.getTimeoutBackendConnect(), "listener.timeout_backend_connect") : null,
        s.hasTimeoutBackendIdle() ? millis(s.getTimeoutBackendIdle(), "listener.timeout_backend_idle") : null,
        list(s.getAllowedCidrsList(), s.getAllowedCidrsSet()), s.hasAdminStateUp() ? s.getAdminStateUp() : null,
        list(s.getTagsList(), s.getTagsSet()),
        s.getInsertHeadersSet() || s.getInsertHeadersCount() > 0 ? java.util.Map.copyOf(s.getInsertHeadersMap()) : null,
        s.hasDefaultTlsContainerRef() ? s.getDefaultTlsContainerRef() : null,
        list(s.getSniContainerRefsList(), s.getSniContainerRefsSet()),
        list(s.getTlsVersionsList(), s.getTlsVersionsSet()), s.hasTlsCiphers() ? s.getTlsCiphers() : null,
        list(s.getAlpnProtocolsList(), s.getAlpnProtocolsSet()),
        s.hasClientCaTlsContainerRef() ? s.getClientCaTlsContainerRef() : null,
        s.hasClientAuthentication() ? ProtoMapper.known(s.getClientAuthentication(), Enums.ClientAuthentication.class,
            "listener.client_authentication") : null,
        s.hasAcceptProxyProtocol() ? s.getAcceptProxyProtocol() : null);
  }

  /** The certificate ids a patch names, by field: what {@link CertificateRefs} is asked about. */
  static java.util.Map<String, java.util.List<String>> certificateIds(io.fiberlb.controlplane.model.Listener.Patch p) {
    var out = new java.util.LinkedHashMap<String, java.util.List<String>>();
    if (p.defaultTlsContainerRef() != null && !p.defaultTlsContainerRef().isEmpty()) {
      out.put("listener.default_tls_container_ref", java.util.List.of(p.defaultTlsContainerRef()));
    }
    if (p.sniContainerRefs() != null && !p.sniContainerRefs().isEmpty()) {
      out.put("listener.sni_container_refs", p.sniContainerRefs());
    }
    if (p.clientCaTlsContainerRef() != null && !p.clientCaTlsContainerRef().isEmpty()) {
      out.put("listener.client_ca_tls_container_ref", java.util.List.of(p.clientCaTlsContainerRef()));
    }
    return out;
  }

  public static Listener toWire(String lbId, ChildView v) {
    var l = (io.fiberlb.controlplane.model.Listener) v.child();
    return Listener.newBuilder().setId(l.id()).setLoadBalancerId(lbId).setName(l.name())
        .setDescription(l.description()).setProtocol(Protocol.valueOf(l.protocol().name()))
        .setProtocolPort(l.protocolPort()).setDefaultPoolId(l.defaultPoolId())
        .setConnectionLimit(l.connectionLimit()).setTimeoutClientIdle(duration(l.timeoutClientIdleMs()))
        .setTimeoutBackendConnect(duration(l.timeoutBackendConnectMs()))
        .setTimeoutBackendIdle(duration(l.timeoutBackendIdleMs())).addAllAllowedCidrs(l.allowedCidrs())
        .setAdminStateUp(l.adminStateUp()).addAllTags(l.tags())
        .setProvisioningStatus(provisioning(v.provisioning())).setOperatingStatus(operating(v.operating()))
        .setOperatingStatusReason(v.reason()).setVersion(l.version()).setCreatedAt(ts(l.createdAt()))
        .setUpdatedAt(ts(l.updatedAt())).putAllInsertHeaders(l.insertHeaders())
        .setDefaultTlsContainerRef(l.defaultTlsContainerRef()).addAllSniContainerRefs(l.sniContainerRefs())
        .addAllTlsVersions(l.tlsVersions()).setTlsCiphers(l.tlsCiphers()).addAllAlpnProtocols(l.alpnProtocols())
        .setClientCaTlsContainerRef(l.clientCaTlsContainerRef())
        .setClientAuthentication(Listener.ClientAuthentication.valueOf(l.clientAuthentication().name()))
        .setAcceptProxyProtocol(l.acceptProxyProtocol()).build();
  }
}
