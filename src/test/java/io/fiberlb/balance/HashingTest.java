package io.fiberlb.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

public class HashingTest {
  @Test
  void fnv1a64MatchesThePublishedTestVectors() {
    assertThat(Hashing.fnv1a64(new byte[0])).isEqualTo(0xcbf29ce484222325L);
    assertThat(Hashing.fnv1a64("a".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xaf63dc4c8601ec8cL);
    assertThat(Hashing.fnv1a64("foobar".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0x85944171f73967e8L);
  }

  @Test
  void fmix64IsTheMurmur3Finaliser() {
    assertThat(Hashing.fmix64(0)).isZero();
    // Bijective: distinct inputs never collide (spot check on a dense range).
    Set<Long> seen = new HashSet<>();
    for (long i = 0; i < 100_000; i++) assertThat(seen.add(Hashing.fmix64(i))).isTrue();
  }

  /**
   * Pinned values: every node and every release must hash endpoint keys and clients the same way, or a failover
   * or a rolling upgrade moves clients. If this test fails, the change breaks that promise.
   */
  @Test
  void hashesArePinnedAcrossReleases() {
    assertThat(Hashing.hash64("10.0.0.1:8080", Hashing.SEED_MAGLEV_OFFSET)).isEqualTo(PINNED_OFFSET);
    assertThat(Hashing.hash64("10.0.0.1:8080", Hashing.SEED_MAGLEV_SKIP)).isEqualTo(PINNED_SKIP);
    // A client's flow hash as the data plane's ConnectionKey computes it for 192.0.2.7:51000 (SourceIpTest pins
    // that ConnectionKey does exactly this).
    long address = Hashing.hash64(new byte[] {(byte) 192, 0, 2, 7}, Hashing.SEED_CLIENT);
    assertThat(Hashing.combine(address, 51000)).isEqualTo(PINNED_CLIENT);
  }

  static final long PINNED_OFFSET = -4815471294226909556L;
  static final long PINNED_SKIP = -7726923511943459718L;
  public static final long PINNED_CLIENT = 605063998207322791L;

  @Test
  void seedsGiveUnrelatedHashesOfOneKey() {
    long a = Hashing.hash64("10.0.0.1:8080", Hashing.SEED_MAGLEV_OFFSET);
    long b = Hashing.hash64("10.0.0.1:8080", Hashing.SEED_MAGLEV_SKIP);
    assertThat(Long.bitCount(a ^ b)).isBetween(16, 48);
  }

  @Test
  void reduceIsUniformOverTheRange() {
    int n = 7;
    int[] counts = new int[n];
    for (long i = 0; i < 70_000; i++) counts[Hashing.reduce(Hashing.fmix64(i), n)]++;
    for (int c : counts) assertThat(c).isBetween(9_700, 10_300);
    assertThat(Hashing.reduce(-1L, n)).isEqualTo(n - 1);
    assertThat(Hashing.reduce(0L, n)).isZero();
  }
}
