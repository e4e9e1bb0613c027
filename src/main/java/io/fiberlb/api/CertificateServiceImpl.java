package io.fiberlb.api;

import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CertificateServicePowerApi;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.DeleteCertificateRequest;
import io.fiberlb.api.v1.DeleteCertificateResponse;
import io.fiberlb.api.v1.GetCertificateRequest;
import io.fiberlb.api.v1.ListCertificatesRequest;
import io.fiberlb.api.v1.ListCertificatesResponse;
import io.fiberlb.api.v1.UpdateCertificateRequest;
import io.fiberlb.controlplane.ProjectEntity;
import io.fiberlb.controlplane.certificate.CertificateEntity;
import io.fiberlb.controlplane.certificate.CertificateEntity.Found;
import io.fiberlb.controlplane.certificate.CertificateEntity.Material;
import io.fiberlb.controlplane.certificate.CertificateUse;
import io.fiberlb.controlplane.certificate.PemCertificates;
import io.fiberlb.controlplane.model.Caller;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * CertificateService: the PEM upload is checked here ({@link PemCertificates}: every refusal names the field and
 * changes nothing), then the caller's project's {@link CertificateEntity} stores the material and journals the
 * public facts. Answers never carry key material.
 */
public final class CertificateServiceImpl implements CertificateServicePowerApi {
  private final ClusterSharding sharding;
  private final ControlPlaneGateway gw;
  private final Duration timeout;
  private final CertificateUse use;

  public CertificateServiceImpl(ActorSystem<?> system, ControlPlaneGateway gw, Duration timeout, CertificateUse use) {
    this.sharding = ClusterSharding.get(system);
    this.gw = gw;
    this.timeout = timeout;
    this.use = use;
  }

  @Override
  public CompletionStage<Certificate> createCertificate(CreateCertificateRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      Material material = material(in.getType(), in.getCertificatePem().toStringUtf8(),
          in.getPrivateKeyPem().toStringUtf8());
      String id = UUID.randomUUID().toString();
      // The quota in force, then the create: the certificate entity counts (it alone writes the certificates).
      return gw.askProject(caller, ProjectEntity.GetQuota::new, false).thenComposeAsync(q -> {
        int limit = ((ProjectEntity.QuotaView) q).effective().certificates();
        return ask(caller, r -> new CertificateEntity.Create(id, in.getName(), in.getDescription(), material, caller,
            in.getValidateOnly(), limit, r));
      }, gw.executor()).thenApply(f -> answer(f, in.getValidateOnly()));
    });
  }

  @Override
  public CompletionStage<Certificate> getCertificate(GetCertificateRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String id = ControlPlaneGateway.id("id", in.getId());
      return ask(caller, r -> new CertificateEntity.Get(id, r)).thenApply(f -> CertificateViews.proto(f.after(),
          Instant.now()));
    });
  }

  @Override
  public CompletionStage<ListCertificatesResponse> listCertificates(ListCertificatesRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      return entity(caller).<CertificateEntity.Reply>ask(CertificateEntity.ListAll::new, timeout)
          .handleAsync((reply, err) -> {
            if (err != null) throw asRuntime(Errors.translate(err, "the project's certificates"));
            Instant now = Instant.now();
            var out = ListCertificatesResponse.newBuilder();
            for (var c : ((CertificateEntity.Listing) reply).certificates()) out.addCertificates(CertificateViews.proto(c, now));
            return out.build();
          }, gw.executor());
    });
  }

  @Override
  public CompletionStage<Certificate> updateCertificate(UpdateCertificateRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String id = ControlPlaneGateway.id("id", in.getId());
      Material material = null;
      if (!in.getCertificatePem().isEmpty() || !in.getPrivateKeyPem().isEmpty()) {
        // A CA bundle's rotation has no key; the entity refuses a rotation that changes the type.
        Certificate.Type type = in.getPrivateKeyPem().isEmpty() ? Certificate.Type.CA_BUNDLE : Certificate.Type.SERVER;
        if (in.getCertificatePem().isEmpty()) throw Errors.invalid("certificate_pem: is required with private_key_pem");
        material = material(type, in.getCertificatePem().toStringUtf8(), in.getPrivateKeyPem().toStringUtf8());
      }
      Material m = material;
      return ask(caller, r -> new CertificateEntity.Update(id, in.hasName() ? in.getName() : null,
          in.hasDescription() ? in.getDescription() : null, m, caller, in.getValidateOnly(), r))
          .thenApply(f -> answer(f, in.getValidateOnly()));
    });
  }

  @Override
  public CompletionStage<DeleteCertificateResponse> deleteCertificate(DeleteCertificateRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String id = ControlPlaneGateway.id("id", in.getId());
      return use.usedBy(caller, id).thenComposeAsync(users -> {
        if (!users.isEmpty()) {
          throw new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription("certificate " + id
              + " is used by " + String.join(", ", users) + "; take it off those listeners (or delete them) first"));
        }
        return ask(caller, r -> new CertificateEntity.Delete(id, caller, in.getValidateOnly(), r));
      }, gw.executor()).thenApply(f -> {
        var out = DeleteCertificateResponse.newBuilder();
        if (in.getValidateOnly()) out.setDryRun(CertificateViews.dryRun(f.before(), null));
        return out.build();
      });
    });
  }

  /** Parses and checks the upload; INVALID_ARGUMENT naming the field when it does not pass. */
  static Material material(Certificate.Type type, String chainPem, String keyPem) {
    try {
      Instant now = Instant.now();
      return Material.of(switch (type) {
        case TYPE_UNSPECIFIED, SERVER -> PemCertificates.server(chainPem, keyPem, now);
        case CA_BUNDLE -> PemCertificates.caBundle(chainPem, keyPem, now);
        default -> throw Errors.invalid("type: must be SERVER or CA_BUNDLE");
      });
    } catch (PemCertificates.Invalid e) {
      throw Errors.invalid(e.getMessage());
    }
  }

  private static Certificate answer(Found f, boolean dryRun) {
    Certificate c = CertificateViews.proto(f.after(), Instant.now());
    return dryRun ? c.toBuilder().setDryRun(CertificateViews.dryRun(f.before(), f.after())).build() : c;
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<CertificateEntity.Command> entity(Caller caller) {
    return sharding.entityRefFor(CertificateEntity.TYPE_KEY,
        CertificateEntity.entityId(caller.orgId(), caller.projectId()));
  }

  private CompletionStage<Found> ask(Caller caller,
      Function<ActorRef<CertificateEntity.Reply>, CertificateEntity.Command> message) {
    return entity(caller).<CertificateEntity.Reply>ask(message::apply, timeout).handleAsync((reply, err) -> {
      if (err != null) throw asRuntime(Errors.translate(err, "the project's certificates"));
      if (reply instanceof CertificateEntity.Refused r) throw Errors.toStatus(r.rejection());
      return (Found) reply;
    }, gw.executor());
  }

  private static RuntimeException asRuntime(Throwable t) {
    return t instanceof RuntimeException r ? r : new RuntimeException(t);
  }
}
