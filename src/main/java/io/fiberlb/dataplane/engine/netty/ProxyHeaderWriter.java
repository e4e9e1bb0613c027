package io.fiberlb.dataplane.engine.netty;

import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;

/** The PROXY protocol header a PROXY/PROXYV2 pool's backend connection starts with, for the TCP and HTTP paths. */
final class ProxyHeaderWriter {
  private static final String ENCODER = "proxy-protocol-encoder";

  private ProxyHeaderWriter() {}

  /** Writes (not flushes) {@code header} first on {@code backend}, through Netty's encoder, which leaves at once. */
  static void write(Channel backend, HAProxyMessage header) {
    backend.pipeline().addFirst(ENCODER, HAProxyMessageEncoder.INSTANCE);
    backend.write(header, backend.voidPromise());
    backend.pipeline().remove(ENCODER);
  }
}
