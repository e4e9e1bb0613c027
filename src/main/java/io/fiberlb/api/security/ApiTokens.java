package io.fiberlb.api.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Static API tokens from a file the operator manages, one token a line:
 * <pre>
 * # hash                                                                    org   project roles          name
 * sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 acme  web     member         ci-deploy
 * </pre>
 * Only the SHA-256 of each token is stored (a token is 256 random bits, so a fast hash is enough: there is nothing
 * to guess). The file is read again when it changes, so adding and revoking a token needs no restart.
 * {@code fiberlb token create} makes a token and prints its line.
 */
public final class ApiTokens implements Authenticator {
  /** Every token starts with this, so that a bearer token is known for an API token rather than a JWT. */
  public static final String PREFIX = "flb_";

  private final WatchedFile<Map<String, Principal>> byHash;

  public ApiTokens(Path file, Duration reloadInterval) {
    this.byHash = new WatchedFile<>(List.of(file), reloadInterval, paths -> parse(paths.get(0)));
  }

  @Override
  public Optional<Principal> authenticate(Credentials credentials) {
    String token = credentials.bearer();
    if (token == null || !token.startsWith(PREFIX)) return Optional.empty();
    return Optional.ofNullable(byHash.get().get(hash(token)));
  }

  /** A new random token. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** {@code sha256:<hex>}, as the file stores it. */
  public static String hash(String token) {
    try {
      return "sha256:" + HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The line of the tokens file for a token. */
  public static String line(String token, String org, String project, Set<Role> roles, String name) {
    return String.join(" ", hash(token), org, project,
        String.join(",", roles.stream().sorted().map(Role::wireName).toList()), name);
  }

  static Map<String, Principal> parse(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the tokens file " + file, e);
    }
    Map<String, Principal> out = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] f = line.split("\\s+");
      if (f.length != 5 || !f[0].matches("sha256:[0-9a-f]{64}")) {
        throw new IllegalArgumentException(file + " line " + (i + 1)
            + ": expected 'sha256:<64 hex digits> ORG PROJECT ROLE[,ROLE] NAME' (the token's hash, never the token)");
      }
      Set<Role> roles = Set.copyOf(Arrays.stream(f[3].split(",")).map(Role::of).toList());
      out.put(f[0], new Principal("token:" + f[4], f[1], f[2], roles));
    }
    return Map.copyOf(out);
  }
}
