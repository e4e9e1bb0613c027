package io.fiberlb.api.security;

import java.util.Optional;

/**
 * One way of proving who is calling. Answers the principal the credentials prove, or empty when they prove
 * nothing to this authenticator (absent, unknown, expired, forged: the caller is told only "invalid credentials").
 */
public interface Authenticator {
  Optional<Principal> authenticate(Credentials credentials);
}
