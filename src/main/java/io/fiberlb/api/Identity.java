package io.fiberlb.api;

import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.Validation;
import io.grpc.Status;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * Who is calling. In verified mode {@link io.fiberlb.api.security.ApiGuard} has authenticated the call and set
 * {@code x-fiberlb-org} and {@code x-fiberlb-project} to the project it acts in and {@code x-fiberlb-principal} to
 * the verified principal. In local mode the tenant comes from the client's {@code x-fiberlb-org} and
 * {@code x-fiberlb-project}, the principal from {@code x-fiberlb-user}. The server sets {@code x-fiberlb-peer} and
 * {@code x-fiberlb-principal} itself: a client's own values are dropped.
 */
public final class Identity {
  public static final String ORG = "x-fiberlb-org";
  public static final String PROJECT = "x-fiberlb-project";
  public static final String USER = "x-fiberlb-user";
  public static final String PEER = "x-fiberlb-peer";
  public static final String PRINCIPAL = "x-fiberlb-principal";
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,62})");

  private final String defaultOrg;
  private final String defaultProject;

  public Identity(String defaultOrg, String defaultProject) {
    this.defaultOrg = defaultOrg;
    this.defaultProject = defaultProject;
  }

  /** @param requestId the client's request id, or empty: then one is made up for the audit trail */
  public Caller caller(Metadata md, String requestId) {
    String org = md.getText(ORG).orElse(defaultOrg);
    String project = md.getText(PROJECT).orElse(defaultProject);
    check(ORG, org);
    check(PROJECT, project);
    Validation.requestId(requestId).ifPresent(r -> {
      throw Errors.toStatus(r);
    });
    String principal = md.getText(PRINCIPAL).orElseGet(() -> "local:" + md.getText(USER).orElse("anonymous"));
    String rid = requestId.isEmpty() ? "gen-" + UUID.randomUUID() : requestId;
    return new Caller(org, project, principal, md.getText(PEER).orElse(""), rid);
  }

  private static void check(String header, String value) {
    if (!NAME.matcher(value).matches()) {
      throw new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(header
          + ": must be 1..63 characters of a-z 0-9 . _ - starting with a letter or digit, got '" + value + "'"));
    }
  }
}
