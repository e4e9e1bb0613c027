package io.fiberlb.api;

import io.fiberlb.api.v1.GetQuotaRequest;
import io.fiberlb.api.v1.ListQuotaChangesRequest;
import io.fiberlb.api.v1.ListQuotaChangesResponse;
import io.fiberlb.api.v1.Quota;
import io.fiberlb.api.v1.QuotaChange;
import io.fiberlb.api.v1.QuotaCounts;
import io.fiberlb.api.v1.QuotaServicePowerApi;
import io.fiberlb.api.v1.QuotaSpec;
import io.fiberlb.api.v1.ResetQuotaRequest;
import io.fiberlb.api.v1.SetQuotaRequest;
import io.fiberlb.controlplane.ProjectEntity;
import io.fiberlb.controlplane.ProjectEntity.QuotaView;
import io.fiberlb.controlplane.ProjectQuota;
import io.fiberlb.controlplane.QuotaOverrides;
import io.fiberlb.controlplane.Quotas;
import io.fiberlb.controlplane.model.Caller;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * QuotaService: a project's limits, as Octavia's quotas API. Reads answer from the project entity's memory; SetQuota
 * and ResetQuota are journaled there (the admin role only: {@code Access}). The project is the caller's
 * ({@link Identity}), as for every other call, so the guard's tenancy rules apply unchanged.
 */
public final class QuotaServiceImpl implements QuotaServicePowerApi {
  private final ControlPlaneGateway gw;

  public QuotaServiceImpl(ControlPlaneGateway gw) {
    this.gw = gw;
  }

  @Override
  public CompletionStage<Quota> getQuota(GetQuotaRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      return withCertificates(caller, gw.askProject(caller, ProjectEntity.GetQuota::new, false));
    });
  }

  /** The quota of {@code view}, with the certificates the project holds (counted by its certificate entity). */
  private CompletionStage<Quota> withCertificates(Caller caller, CompletionStage<ProjectEntity.Reply> view) {
    return view.thenCombine(gw.certificatesHeld(caller), (r, certificates) -> quota(caller, (QuotaView) r,
        certificates));
  }

  @Override
  public CompletionStage<Quota> setQuota(SetQuotaRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, in.getRequestId());
      QuotaOverrides change = overrides(in.getQuota());
      change.problem("quota.").ifPresent(r -> {
        throw Errors.toStatus(r);
      });
      return withCertificates(caller, gw.askProject(caller,
          r -> new ProjectEntity.SetQuota(change, caller, in.getValidateOnly(), r), !in.getValidateOnly()));
    });
  }

  @Override
  public CompletionStage<Quota> resetQuota(ResetQuotaRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, in.getRequestId());
      return withCertificates(caller, gw.askProject(caller,
          r -> new ProjectEntity.ResetQuota(caller, in.getValidateOnly(), r), !in.getValidateOnly()));
    });
  }

  @Override
  public CompletionStage<ListQuotaChangesResponse> listQuotaChanges(ListQuotaChangesRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      return gw.askProject(caller, ProjectEntity.GetQuota::new, false).thenApply(r -> {
        var out = ListQuotaChangesResponse.newBuilder();
        var changes = ((QuotaView) r).changes();
        for (int i = changes.size() - 1; i >= 0; i--) out.addChanges(change(changes.get(i)));
        return out.build();
      });
    });
  }

  static QuotaOverrides overrides(QuotaSpec s) {
    return new QuotaOverrides(s.hasLoadBalancers() ? s.getLoadBalancers() : null,
        s.hasListeners() ? s.getListeners() : null, s.hasPools() ? s.getPools() : null,
        s.hasBackends() ? s.getBackends() : null, s.hasHealthChecks() ? s.getHealthChecks() : null,
        s.hasL7Policies() ? s.getL7Policies() : null, s.hasL7Rules() ? s.getL7Rules() : null,
        s.hasCertificates() ? s.getCertificates() : null);
  }

  static QuotaSpec spec(QuotaOverrides o) {
    var b = QuotaSpec.newBuilder();
    if (o.loadBalancers() != null) b.setLoadBalancers(o.loadBalancers());
    if (o.listeners() != null) b.setListeners(o.listeners());
    if (o.pools() != null) b.setPools(o.pools());
    if (o.backends() != null) b.setBackends(o.backends());
    if (o.healthChecks() != null) b.setHealthChecks(o.healthChecks());
    if (o.l7Policies() != null) b.setL7Policies(o.l7Policies());
    if (o.l7Rules() != null) b.setL7Rules(o.l7Rules());
    if (o.certificates() != null) b.setCertificates(o.certificates());
    return b.build();
  }

  static Quota quota(Caller caller, QuotaView v, int certificatesHeld) {
    Quotas q = v.effective();
    Quotas d = v.defaults();
    var b = Quota.newBuilder().setOrg(caller.orgId()).setProject(caller.projectId())
        .setLoadBalancers(q.loadBalancers()).setListeners(q.listeners()).setPools(q.pools())
        .setBackends(q.backends()).setHealthChecks(q.healthChecks()).setL7Policies(q.l7Policies())
        .setL7Rules(q.l7Rules()).setCertificates(q.certificates())
        .addAllOverridden(v.overrides().names())
        .setDefaults(QuotaCounts.newBuilder().setLoadBalancers(d.loadBalancers()).setListeners(d.listeners())
            .setPools(d.pools()).setBackends(d.backends()).setHealthChecks(d.healthChecks())
            .setL7Policies(d.l7Policies()).setL7Rules(d.l7Rules()).setCertificates(d.certificates()))
        .setInUse(QuotaCounts.newBuilder().setLoadBalancers(v.loadBalancersInUse())
            .setListeners(v.inUse().listeners()).setPools(v.inUse().pools()).setBackends(v.inUse().backends())
            .setHealthChecks(v.inUse().healthChecks()).setL7Policies(v.inUse().l7Policies())
            .setL7Rules(v.inUse().l7Rules()).setCertificates(certificatesHeld));
    if (!v.changes().isEmpty()) {
      ProjectQuota.Change last = v.changes().get(v.changes().size() - 1);
      b.setUpdatedAt(ProtoMapper.ts(last.meta().at())).setUpdatedBy(last.meta().actor());
    }
    return b.build();
  }

  private static QuotaChange change(ProjectQuota.Change c) {
    return QuotaChange.newBuilder().setAt(ProtoMapper.ts(c.meta().at())).setActor(c.meta().actor())
        .setPeer(c.meta().peer()).setRequestId(c.meta().requestId()).setType(c.type()).setSet(spec(c.set())).build();
  }
}
