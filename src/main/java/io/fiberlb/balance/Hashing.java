package io.fiberlb.balance;

import java.nio.charset.StandardCharsets;

/**
 * The fixed 64-bit hashes behind every consistent choice of a backend (Maglev, rendezvous, source-IP affinity).
 *
 * <p>Every node of a cluster, and every future version of FiberLB, must compute the same values for the same
 * input: a failover moves a load balancer to another JVM, and clients keep their backend only if that JVM builds
 * the same table. So nothing here touches {@code Object.hashCode}, identity hashes, {@code HashMap} order or
 * platform-dependent maths. The hash is FNV-1a 64 over the bytes (seedable by starting from a different state),
 * followed by the 64-bit Murmur3 finaliser, because FNV-1a alone mixes its high bits poorly for short keys such as
 * "10.0.0.7:8080". Changing any constant here changes every table: {@code HashingTest} pins the values.
 */
public final class Hashing {
  private Hashing() {}

  public static final long FNV64_OFFSET_BASIS = 0xcbf29ce484222325L;
  public static final long FNV64_PRIME = 0x100000001b3L;

  // Seeds: one per use, so that the hashes of one key in two roles are unrelated.
  public static final long SEED_MAGLEV_OFFSET = 0x6d61676c65766f66L; // "maglevof"
  public static final long SEED_MAGLEV_SKIP = 0x6d61676c65767370L; // "maglevsp"
  public static final long SEED_RENDEZVOUS = 0x72656e64657a766fL; // "rendezvo"
  public static final long SEED_CLIENT = 0x636c69656e746970L; // "clientip"

  /** Plain FNV-1a 64 (the published algorithm, checked against its published test vectors). */
  public static long fnv1a64(byte[] bytes) {
    return fnv1a64(FNV64_OFFSET_BASIS, bytes);
  }

  public static long fnv1a64(long state, byte[] bytes) {
    long h = state;
    for (byte b : bytes) {
      h ^= b & 0xff;
      h *= FNV64_PRIME;
    }
    return h;
  }

  /** The 64-bit Murmur3 finaliser: a bijection in which every input bit affects every output bit. */
  public static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  /** A seeded 64-bit hash of bytes. */
  public static long hash64(byte[] bytes, long seed) {
    return fmix64(fnv1a64(FNV64_OFFSET_BASIS ^ fmix64(seed), bytes) ^ bytes.length);
  }

  /** A seeded 64-bit hash of a string's UTF-8 bytes (never of {@code String.hashCode}). */
  public static long hash64(String s, long seed) {
    return hash64(s.getBytes(StandardCharsets.UTF_8), seed);
  }

  /** Mixes a second value (for example a port) into a hash. */
  public static long combine(long hash, long value) {
    return fmix64(hash ^ fmix64(value + 0x9e3779b97f4a7c15L));
  }

  /**
   * Maps a hash onto {@code [0, n)} by multiplying its high 32 bits by n (Lemire's multiply-shift reduction):
   * as uniform as a modulo for a well-mixed hash, and no division on the hot path.
   */
  public static int reduce(long hash, int n) {
    return (int) (((hash >>> 32) * n) >>> 32);
  }
}
