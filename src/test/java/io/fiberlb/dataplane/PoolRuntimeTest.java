package io.fiberlb.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.port.LbAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A pool's configured algorithm picks the balancer of the same name. */
class PoolRuntimeTest {
  @ParameterizedTest
  @EnumSource(LbAlgorithm.class)
  void everyAlgorithmHasItsBalancer(LbAlgorithm a) {
    assertThat(PoolRuntime.algorithm(a).name()).isEqualTo(a.name());
  }
}
