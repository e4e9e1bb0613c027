package io.fiberlb.dataplane.engine;

import io.fiberlb.port.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The PROXY protocol header a backend of a PROXY or PROXYV2 pool gets first on every new connection: who the client
 * is and which address and port it connected to, as HAProxy's {@code send-proxy} / {@code send-proxy-v2} write it
 * (v1: {@code PROXY TCP4 <src> <dst> <sport> <dport>\r\n}; v2: the binary form with the PROXY command, TCP over IPv4 or
 * IPv6, no TLVs). One place for every engine: the Netty pipeline writes {@link #message} through Netty's
 * {@link HAProxyMessageEncoder}; engines that write bytes take {@link #bytes}.
 *
 * <p>Both addresses must be of one family: when they are not (an IPv4 client on a listener bound to an IPv6
 * address), the IPv4 one is written as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}), as HAProxy does.
 */
public final class ProxyHeader {
  private ProxyHeader() {}

  /** The header version a pool's backends expect, or null when they expect none. */
  public static HAProxyProtocolVersion versionFor(Protocol poolProtocol) {
    if (poolProtocol == Protocol.PROXY) return HAProxyProtocolVersion.V1;
    if (poolProtocol == Protocol.PROXYV2) return HAProxyProtocolVersion.V2;
    return null;
  }

  /**
   * The header saying that {@code client} connected to {@code destination}; the caller releases it (writing it to a
   * channel does). Null when {@code version} is null.
   */
  public static HAProxyMessage message(HAProxyProtocolVersion version, InetSocketAddress client,
      InetSocketAddress destination) {
    if (version == null) return null;
    InetAddress src = client.getAddress();
    InetAddress dst = destination.getAddress();
    boolean v4 = src instanceof Inet4Address && dst instanceof Inet4Address;
    return new HAProxyMessage(version, HAProxyCommand.PROXY,
        v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
        text(src, v4), text(dst, v4), client.getPort(), destination.getPort());
  }

  /** The header's bytes, encoded by Netty's encoder; releases {@code message}. */
  public static byte[] bytes(HAProxyMessage message) {
    EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
    try {
      encoder.writeOutbound(message);
      ByteBuf out = encoder.readOutbound();
      try {
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        return b;
      } finally {
        out.release();
      }
    } finally {
      encoder.finishAndReleaseAll();
    }
  }

  private static String text(InetAddress a, boolean v4) {
    if (v4 || !(a instanceof Inet4Address)) return NetUtil.toAddressString(a);
    return "::ffff:" + a.getHostAddress(); // the IPv4 side of a mixed pair, as IPv4-mapped IPv6
  }
}
