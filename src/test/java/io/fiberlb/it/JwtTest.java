package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.it.TestServer.Api;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OIDC/JWT bearer tokens verified against a JWKS file and a JWKS URL by a real server: of valid, expired,
 * not-yet-valid, wrong issuer, wrong audience, bad signature, unknown key id and {@code alg: none}, only the first
 * gets in; org, project and roles come from the claims; a key added to the JWKS file counts without a restart.
 */
class JwtTest {
  private static final String ISSUER = "https://id.example/realms/acme";
  private static final String AUDIENCE = "fiberlb";

  @TempDir
  Path dir;
  private TestServer server;
  private HttpServer jwksServer;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (jwksServer != null) jwksServer.stop(0);
  }

  private static RSAKey key(String kid) throws Exception {
    return new RSAKeyGenerator(2048).keyID(kid).generate();
  }

  private static JWTClaimsSet.Builder claims() {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder().issuer(ISSUER).audience(List.of(AUDIENCE, "other")).subject("alice")
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
        .claim("org", "acme").claim("project", "web").claim("roles", List.of("member", "unknown-role"));
  }

  private static String sign(RSAKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private Status.Code list(String token) {
    Api api = server.as("acme", "web").withBearer(token);
    try {
      api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (RuntimeException e) {
      return TestServer.statusOf(e).getCode();
    }
  }

  private void start(String jwks) {
    server = new TestServer(dir.resolve("data"), Map.of("fiberlb.auth.jwt.jwks", jwks, "fiberlb.auth.jwt.issuer",
        ISSUER, "fiberlb.auth.jwt.audience", AUDIENCE, "fiberlb.auth.reload-interval", "100ms"));
  }

  @Test
  void onlyTheValidTokenGetsIn() throws Exception {
    RSAKey k1 = key("k1");
    RSAKey impostor = key("k1");
    RSAKey k2 = key("k2");
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(k1.toPublicJWK()).toString());
    Files.createDirectories(dir.resolve("data"));
    start(jwks.toString());

    Instant now = Instant.now();
    Map<String, UnaryOperator<JWTClaimsSet.Builder>> variants = new LinkedHashMap<>();
    variants.put("expired", b -> b.expirationTime(Date.from(now.minus(Duration.ofMinutes(5)))));
    variants.put("not yet valid", b -> b.notBeforeTime(Date.from(now.plus(Duration.ofMinutes(5)))));
    variants.put("wrong issuer", b -> b.issuer("https://evil.example/"));
    variants.put("wrong audience", b -> b.audience("someone-else"));
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("valid", sign(k1, claims().build()));
    for (var v : variants.entrySet()) tokens.put(v.getKey(), sign(k1, v.getValue().apply(claims()).build()));
    tokens.put("bad signature", sign(impostor, claims().build()));
    tokens.put("unknown key id", sign(k2, claims().build()));
    tokens.put("alg none", new PlainJWT(claims().build()).serialize());
    String valid = tokens.get("valid");
    tokens.put("tampered", valid.substring(0, valid.lastIndexOf('.')) + ".AAAA");

    Map<String, Status.Code> got = new LinkedHashMap<>();
    tokens.forEach((name, token) -> got.put(name, list(token)));
    Map<String, Status.Code> want = new LinkedHashMap<>();
    tokens.keySet().forEach(name -> want.put(name, name.equals("valid") ? Status.Code.OK : Status.Code.UNAUTHENTICATED));
    assertThat(got).isEqualTo(want);

    // The claims' principal and project act: the audit names jwt:alice, and the member role writes.
    Api alice = server.as("acme", "web").withBearer(valid);
    String lb = alice.createLb("by-jwt").getId();
    assertThat(alice.call(alice.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).build())
        .getEvents(0).getActor()).isEqualTo("jwt:alice");

    // A key added to the JWKS file is used without a restart.
    Files.writeString(jwks, new JWKSet(List.of(k1.toPublicJWK(), k2.toPublicJWK())).toString());
    Poll.until("the new key used", Duration.ofSeconds(10), () -> list(tokens.get("unknown key id")),
        c -> c == Status.Code.OK);
  }

  @Test
  void aJwksUrlIsFetchedAndItsKeysUsed() throws Exception {
    RSAKey k1 = key("k1");
    byte[] body = new JWKSet(k1.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
    jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwksServer.createContext("/jwks", ex -> {
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    jwksServer.start();
    Files.createDirectories(dir.resolve("data"));
    start("http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks");

    assertThat(list(sign(k1, claims().build()))).isEqualTo(Status.Code.OK);
    assertThat(list(sign(key("k1"), claims().build()))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(list(sign(k1, claims().claim("roles", "observer").build()))).isEqualTo(Status.Code.OK);
    assertThat(list(sign(k1, claims().claim("roles", List.of()).build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
  }
}
