package io.fiberlb.it;

/** {@link DataPlaneTest} on the netty engine. */
class DataPlaneNettyTest extends DataPlaneTest {
  @Override
  String engine() {
    return "netty";
  }
}
