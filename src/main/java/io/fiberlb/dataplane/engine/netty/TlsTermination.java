package io.fiberlb.dataplane.engine.netty;

import io.netty.channel.ChannelPipeline;

/**
 * Where a TERMINATED_HTTPS listener's TLS comes from: the handlers that start each accepted client channel's
 * pipeline (an SNI handler choosing the certificate by the client's server name, and whatever the TLS side wants to
 * see of the handshake, such as its failure count), built from the listener's current certificates. A certificate rotated since the last call is served by the next handler, so new
 * handshakes see it at once while open connections keep theirs. After the handshake the negotiated ALPN protocol
 * ("h2" or "http/1.1") decides the HTTP codec.
 */
public interface TlsTermination {

  /** Adds the TLS handlers of one accepted client channel to its pipeline; on its event loop, must not block. */
  void addHandlers(ChannelPipeline pipeline);
}
