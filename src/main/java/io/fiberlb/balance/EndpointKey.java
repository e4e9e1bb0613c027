package io.fiberlb.balance;

/**
 * The name of an endpoint: {@code address:port}, or {@code [v6-address]:port}. Unique within a pool; it is what
 * consistent hashing hashes and what session affinity remembers, so it must be spelled the same by every user.
 */
public final class EndpointKey {
  private EndpointKey() {}

  public static String of(String address, int port) {
    return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
  }
}
