package io.fiberlb.port;

import java.util.List;

/**
 * An L7 policy as an HTTP listener applies it (Octavia's model): when every enabled rule matches a request, the
 * action decides it. Policies are tried in {@code position} order; the first that matches wins.
 *
 * @param position 1-based order within the listener, unique once the control plane has normalised it
 * @param redirectUrl REDIRECT_TO_URL: the whole location; empty otherwise
 * @param redirectPrefix REDIRECT_PREFIX: scheme://host[:port] the request's path and query are appended to; empty otherwise
 * @param redirectPoolId REDIRECT_TO_POOL: the pool that serves the request; empty otherwise
 * @param redirectHttpCode REDIRECT_TO_URL and REDIRECT_PREFIX: 301, 302, 303, 307 or 308
 * @param rules the enabled rules (a policy with none matches nothing)
 */
public record DesiredL7Policy(
    String id,
    Action action,
    int position,
    String redirectUrl,
    String redirectPrefix,
    String redirectPoolId,
    int redirectHttpCode,
    List<DesiredL7Rule> rules) {

  public DesiredL7Policy {
    rules = List.copyOf(rules);
  }

  /** What a matching policy does with the request. */
  public enum Action { REJECT, REDIRECT_TO_URL, REDIRECT_PREFIX, REDIRECT_TO_POOL }
}
