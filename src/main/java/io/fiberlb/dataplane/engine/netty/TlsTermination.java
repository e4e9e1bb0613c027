package io.fiberlb.dataplane.engine.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;

/**
 * Where a TERMINATED_HTTPS listener's TLS comes from: the handler that starts each accepted client channel's pipeline
 * (an SNI handler choosing the certificate by the client's server name, or a plain SSL handler), built from the
 * listener's current certificates. A certificate rotated since the last call is served by the next handler, so new
 * handshakes see it at once while open connections keep theirs. After the handshake the negotiated ALPN protocol
 * ("h2" or "http/1.1") decides the HTTP codec.
 */
public interface TlsTermination {

  /** A new handler for one accepted client channel; called on that channel's event loop, must not block. */
  ChannelHandler newHandler(ByteBufAllocator alloc);
}
