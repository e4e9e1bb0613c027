package io.fiberlb.it;

import java.util.Map;

/** {@link DataPlaneTest} on the netty engine with native epoll off: the NIO fallback for machines without it. */
class DataPlaneNettyNioTest extends DataPlaneTest {
  @Override
  String engine() {
    return "netty";
  }

  @Override
  java.util.HashMap<String, Object> settings() {
    var m = super.settings();
    m.put("fiberlb.dataplane.epoll", false);
    return m;
  }

  @org.junit.jupiter.api.Test
  void theEngineRunsOnNio() {
    org.junit.jupiter.api.Assertions.assertEquals("netty-nio", server.node().dataPlane().engine().name());
  }
}
