package io.fiberlb.it;

/** {@link DataPlaneTest} on the pekko engine. */
class DataPlanePekkoTest extends DataPlaneTest {
  @Override
  String engine() {
    return "pekko";
  }
}
