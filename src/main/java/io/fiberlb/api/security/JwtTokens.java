package io.fiberlb.api.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OIDC/JWT bearer tokens, verified with nimbus-jose-jwt against a JWKS (a file, read again when it changes, or an
 * {@code https://} URL, cached and refreshed by nimbus, which also fetches it again for an unknown key id): the
 * signature (asymmetric algorithms only: a token with {@code alg: none} or an HMAC is refused), the issuer, the
 * audience, and expiry and not-before with a small clock skew. Org, project and roles come from configurable
 * claims (a dotted name reaches into a nested object, e.g. {@code realm_access.roles}; roles are a list or a
 * space-separated string). A verified token is remembered until it expires, so a client reusing its token costs
 * one map lookup per call.
 */
public final class JwtTokens implements Authenticator {
  private static final int MAX_CACHED = 10_000;
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
      JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
      JWSAlgorithm.ES384, JWSAlgorithm.ES512, JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

  /** The claims settings: see {@code fiberlb.auth.jwt} in application.conf. */
  public record Settings(String jwks, String issuer, String audience, String orgClaim, String projectClaim,
      String rolesClaim, Duration clockSkew, Duration jwksCacheTtl, Duration reloadInterval) {}

  private record Verified(Principal principal, Instant expires) {}

  private final Settings settings;
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final ConcurrentHashMap<String, Verified> cache = new ConcurrentHashMap<>();

  public JwtTokens(Settings settings) {
    this.settings = settings;
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, source(settings)));
    var verifier = new DefaultJWTClaimsVerifier<SecurityContext>(settings.audience(),
        new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), Set.of("iss", "aud", "exp", "sub"));
    verifier.setMaxClockSkew((int) settings.clockSkew().toSeconds());
    processor.setJWTClaimsSetVerifier(verifier);
  }

  private static JWKSource<SecurityContext> source(Settings s) {
    String where = s.jwks();
    if (where.startsWith("https://") || where.startsWith("http://")) {
      try {
        long ttl = s.jwksCacheTtl().toMillis();
        return JWKSourceBuilder.<SecurityContext>create(URI.create(where).toURL())
            .cache(ttl, Math.min(ttl, 15_000)).build();
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("fiberlb.auth.jwt.jwks: not a URL: " + where, e);
      }
    }
    Path file = Path.of(where.startsWith("file:") ? URI.create(where).getPath() : where);
    var keys = new WatchedFile<>(List.of(file), s.reloadInterval(), paths -> {
      try {
        return JWKSet.load(paths.get(0).toFile());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the JWKS " + paths.get(0), e);
      } catch (ParseException e) {
        throw new IllegalArgumentException("the JWKS " + paths.get(0) + " is not a JWK set: " + e.getMessage(), e);
      }
    });
    return (selector, context) -> selector.select(keys.get());
  }

  @Override
  public Optional<Principal> authenticate(Credentials credentials) {
    String token = credentials.bearer();
    if (token == null || token.startsWith(ApiTokens.PREFIX)) return Optional.empty();
    Instant now = Instant.now();
    Verified known = cache.get(token);
    if (known != null) {
      if (now.isBefore(known.expires())) return Optional.of(known.principal());
      cache.remove(token);
    }
    try {
      JWTClaimsSet claims = processor.process(token, null);
      Principal p = new Principal("jwt:" + claims.getSubject(), string(claims, settings.orgClaim()),
          string(claims, settings.projectClaim()), Role.parse(strings(claims, settings.rolesClaim())));
      if (cache.size() >= MAX_CACHED) cache.clear();
      // exp is required, so it is there; the cache honours the same skew the verifier allowed.
      Date exp = claims.getExpirationTime();
      cache.put(token, new Verified(p, exp.toInstant().plus(settings.clockSkew())));
      return Optional.of(p);
    } catch (Exception e) {
      // ParseException, BadJOSEException, JOSEException, a missing org claim: all the same to the caller.
      return Optional.empty();
    }
  }

  private static Object claim(JWTClaimsSet claims, String dotted) {
    Object v = claims.getClaims();
    for (String part : dotted.split("\\.")) {
      if (!(v instanceof Map<?, ?> m)) return null;
      v = m.get(part);
    }
    return v;
  }

  private static String string(JWTClaimsSet claims, String name) {
    if (claim(claims, name) instanceof String s && !s.isEmpty()) return s;
    throw new IllegalArgumentException("claim " + name + " missing");
  }

  private static List<String> strings(JWTClaimsSet claims, String name) {
    Object v = claim(claims, name);
    if (v instanceof String s) return Arrays.asList(s.trim().split("[\\s,]+"));
    List<String> out = new ArrayList<>();
    if (v instanceof Collection<?> c) c.forEach(x -> out.add(String.valueOf(x)));
    return out;
  }
}
