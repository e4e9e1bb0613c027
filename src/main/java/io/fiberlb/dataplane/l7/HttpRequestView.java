package io.fiberlb.dataplane.l7;

/** The parts of one request that L7 rules and cookie persistence look at; engine-neutral. */
public interface HttpRequestView {

  /** The Host header (HTTP/2: :authority) as sent, port included; null when absent. */
  String host();

  /** The path, without query string; "/" at least. */
  String path();

  /** The request target as sent (path and query), for REDIRECT_PREFIX. */
  String pathAndQuery();

  /** The first value of the header {@code name} (case-insensitive), or null. */
  String header(String name);

  /** The value of the cookie {@code name} from the Cookie header(s), or null. */
  String cookie(String name);
}
