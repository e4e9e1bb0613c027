package io.fiberlb.api.security;

import io.fiberlb.api.Identity;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;

/**
 * Authenticates and authorizes every gRPC call before any service sees it, at the HTTP/2 level. The services learn
 * the verified principal and the project it acts in from headers only the server sets
 * ({@link Identity#PRINCIPAL}, and {@link Identity#ORG}/{@link Identity#PROJECT} overwritten with the verified
 * ones), so they keep reading the caller one way. A principal's home project is the one it acts in; only
 * {@code global_observer} and {@code admin} may name another with the org/project headers.
 *
 * <p>In local mode nothing is verified (the headers are trusted, loopback only); the server-only header is still
 * dropped from what clients send, and the write rate limit still applies per local user.
 */
public final class ApiGuard {
  private static final String INVALID = "invalid credentials";

  private final List<Authenticator> authenticators;
  private final WriteLimiter limiter;

  /** @param authenticators empty: local mode */
  public ApiGuard(List<Authenticator> authenticators, WriteLimiter limiter) {
    this.authenticators = List.copyOf(authenticators);
    this.limiter = limiter;
  }

  public boolean local() {
    return authenticators.isEmpty();
  }

  public Function<HttpRequest, CompletionStage<HttpResponse>> around(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return raw -> {
      HttpRequest req = raw.removeHeader(Identity.PRINCIPAL);
      Access access = Access.of(req.getUri().path());
      if (access == Access.OPEN) return handler.apply(req);
      if (local()) {
        if (access == Access.WRITE) {
          String who = "local:" + req.getHeader(Identity.USER).map(HttpHeader::value).orElse("anonymous");
          Optional<HttpResponse> limited = limit(who);
          if (limited.isPresent()) return CompletableFuture.completedFuture(limited.get());
        }
        return handler.apply(req);
      }
      Optional<Principal> principal = authenticate(req);
      if (principal.isEmpty()) return done(GrpcReply.error(Status.Code.UNAUTHENTICATED, INVALID));
      Principal p = principal.get();
      if (access == Access.AUTHENTICATED) return handler.apply(req);
      String org = p.org();
      String project = p.project();
      if (p.global()) {
        org = req.getHeader(Identity.ORG).map(HttpHeader::value).orElse(org);
        project = req.getHeader(Identity.PROJECT).map(HttpHeader::value).orElse(project);
      }
      boolean own = org.equals(p.org()) && project.equals(p.project());
      if (!p.mayRead()) return done(denied(p, "call the API"));
      if (access == Access.ADMIN && !p.roles().contains(Role.ADMIN)) {
        return done(denied(p, req.getUri().path().startsWith("/fiberlb.v1.QuotaService/") ? "change quotas"
            : "see or operate the cluster"));
      }
      if (access == Access.WRITE) {
        if (!p.mayWrite(own)) return done(denied(p, own ? "change resources" : "change another project's resources"));
        Optional<HttpResponse> limited = limit(p.name());
        if (limited.isPresent()) return done(limited.get());
      }
      HttpRequest verified = req.removeHeader(Identity.ORG).removeHeader(Identity.PROJECT)
          .removeHeader(Identity.USER)
          .addHeader(RawHeader.create(Identity.ORG, org)).addHeader(RawHeader.create(Identity.PROJECT, project))
          .addHeader(RawHeader.create(Identity.PRINCIPAL, p.name()));
      return handler.apply(verified);
    };
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private static HttpResponse denied(Principal p, String what) {
    String roles = p.roles().isEmpty() ? "no role" : "roles " + String.join(",",
        p.roles().stream().sorted().map(Role::wireName).toList());
    return GrpcReply.error(Status.Code.PERMISSION_DENIED, p.name() + " (" + roles + ") may not " + what);
  }

  private Optional<HttpResponse> limit(String principal) {
    if (limiter == null) return Optional.empty();
    return limiter.tryWrite(principal).map(wait -> GrpcReply.retryLater("too many writes by " + principal
        + "; retry in " + Math.max(1, wait.toMillis()) + " ms", wait));
  }

  private Optional<Principal> authenticate(HttpRequest req) {
    Credentials credentials = new Credentials(bearer(req), clientChain(req));
    if (credentials.bearer() == null && credentials.clientChain().isEmpty()) return Optional.empty();
    for (Authenticator a : authenticators) {
      Optional<Principal> p = a.authenticate(credentials);
      if (p.isPresent()) return p;
    }
    return Optional.empty();
  }

  private static String bearer(HttpRequest req) {
    return req.getHeader("authorization").map(HttpHeader::value)
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7)).map(v -> v.substring(7).trim())
        .filter(v -> !v.isEmpty()).orElse(null);
  }

  /** The chain the TLS handshake verified against the client CA bundle; empty without a client certificate. */
  private static List<X509Certificate> clientChain(HttpRequest req) {
    Optional<SSLSession> session = req.getAttribute(AttributeKeys.sslSession).map(s -> s.getSession());
    if (session.isEmpty()) return List.of();
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : session.get().getPeerCertificates()) {
        if (c instanceof X509Certificate x) out.add(x);
      }
      return out;
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }
}
