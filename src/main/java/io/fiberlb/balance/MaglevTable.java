package io.fiberlb.balance;

import java.util.HashSet;
import java.util.Set;

/**
 * The consistent-hashing lookup table of Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
 * Balancer" (NSDI 2016, section 3.4): for each of M slots, the endpoint that owns it. A flow goes to the owner of
 * slot {@code Hashing.reduce(flowHash, M)}.
 *
 * <p>Each endpoint has a preference list over the M table slots, a permutation given by two hashes of its key:
 * {@code offset = h1(key) mod M}, {@code skip = h2(key) mod (M - 1) + 1}, {@code permutation[j] = (offset + j *
 * skip) mod M}. M is prime, so every skip is co-prime with M and every list visits every slot. The endpoints then
 * take turns, in key order, each claiming the next slot of its own list that is still empty, until the table is
 * full.
 *
 * <p>Properties the tests check: each endpoint owns a share of the slots within a fraction of a percent of its
 * weight share (M must be much larger than N: 65537 is tested up to 100 endpoints); removing one endpoint of
 * N moves only a little more than its own 1/N of the keys, because every other endpoint's list is unchanged and
 * it mostly reclaims the slots it had; and the table depends only on the set of keys and weights, so every node
 * and every JVM builds the same one (hashes from {@link Hashing}, never {@code hashCode}; turns in key order).
 *
 * <p>One departure from the paper: skips are made unique within the set. Two endpoints with the same skip walk
 * the same cycle of slots, one some distance behind the other; the one behind finds every slot the one ahead has
 * passed already taken, so they leapfrog, taking turns at the next free slot, and which of the two gets a slot then
 * depends on every other endpoint's fill. Any change anywhere swaps many slots between them: with
 * 10.0.0.1..50:8080 (10.0.0.8 and 10.0.0.43 share a skip) removing any one of the other 48 endpoints moved 2% of
 * the keys beyond its own share on average, up to 2.9%, against 0.5% without the pair. With N endpoints a pair
 * exists with probability about N^2 / 2(M-1) (2% at 50 endpoints, 7% at 100). So the endpoint later in key order
 * whose skip is taken re-mixes its hash until its skip is free. Its table then depends on the other one being
 * present: removing that very endpoint also moves the re-mixed one's share (2.7% beyond the removed share at 50
 * equal endpoints), which happens for about one removal in M / N instead of for every change.
 *
 * <p>Weights (the paper leaves them as an extension): an endpoint gets turns in proportion to its weight. In each
 * round every endpoint adds its weight to a credit and takes one turn if the credit reaches the largest weight,
 * paying the largest weight for it; the endpoints of the largest weight take a turn every round, exactly as in the
 * unweighted algorithm, and one of half that weight every other round.
 */
public final class MaglevTable {
  private MaglevTable() {}

  /**
   * The table size of every pool: prime, and large enough that at 100 endpoints each one owns about 655 slots,
   * which keeps every endpoint's share within 1% of its weight share (MaglevTest). Larger pools want a larger prime.
   */
  public static final int DEFAULT_SIZE = 65537;

  /** Keeps the table under 64 MB and every slot index arithmetic inside an int. */
  public static final int MAX_SIZE = 1 << 24;

  /**
   * The owner of each slot, as an index into {@code sortedKeys}.
   *
   * @param sortedKeys the endpoints' keys ({@link EndpointKey}), unique, in ascending {@code String} order
   * @param weights each endpoint's weight, above 0
   */
  public static int[] build(String[] sortedKeys, int[] weights, int tableSize) {
    checkSize(tableSize);
    int n = sortedKeys.length;
    if (n == 0) throw new IllegalArgumentException("no endpoints");
    if (n >= tableSize) {
      throw new IllegalArgumentException("a Maglev table of " + tableSize + " entries cannot hold " + n
          + " endpoints (it needs more slots than endpoints)");
    }
    int[] offsets = new int[n];
    int[] skips = new int[n];
    Set<Integer> usedSkips = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String key = sortedKeys[i];
      if (i > 0 && key.compareTo(sortedKeys[i - 1]) <= 0) {
        throw new IllegalArgumentException("keys must be unique and sorted: " + sortedKeys[i - 1] + ", " + key);
      }
      offsets[i] = (int) Long.remainderUnsigned(Hashing.hash64(key, Hashing.SEED_MAGLEV_OFFSET), tableSize);
      long h = Hashing.hash64(key, Hashing.SEED_MAGLEV_SKIP);
      int skip = (int) Long.remainderUnsigned(h, tableSize - 1) + 1;
      // Two endpoints with one skip walk the same cycle of slots: see the class comment. The later key re-mixes.
      while (!usedSkips.add(skip)) {
        h = Hashing.fmix64(h + 0x9e3779b97f4a7c15L);
        skip = (int) Long.remainderUnsigned(h, tableSize - 1) + 1;
      }
      skips[i] = skip;
    }
    return populate(offsets, skips, weights, tableSize);
  }

  /**
   * Fills a table of {@code m} slots (m prime) with endpoint indexes, given each endpoint's offset in
   * {@code [0, m)}, skip in {@code [1, m)} and positive weight. Separate from the hashing so that the paper's own
   * worked example can be checked slot by slot.
   */
  public static int[] populate(int[] offsets, int[] skips, int[] weights, int m) {
    int n = offsets.length;
    int[] table = new int[m];
    // Which slots are taken, as bits: 8 KB for 65537 slots stays in L1 while the probing jumps around the table.
    long[] taken = new long[(m + 63) >>> 6];
    int maxWeight = 0;
    for (int w : weights) {
      if (w <= 0) throw new IllegalArgumentException("weights must be positive");
      maxWeight = Math.max(maxWeight, w);
    }
    int[] next = offsets.clone(); // the slot each endpoint's permutation tries next: offset + j * skip (mod m)
    int[] credit = new int[n];
    int filled = 0;
    while (true) {
      for (int i = 0; i < n; i++) {
        credit[i] += weights[i];
        if (credit[i] < maxWeight) continue;
        credit[i] -= maxWeight;
        int slot = next[i];
        int skip = skips[i];
        while ((taken[slot >>> 6] & (1L << slot)) != 0) {
          slot += skip;
          if (slot >= m) slot -= m;
        }
        taken[slot >>> 6] |= 1L << slot;
        table[slot] = i;
        slot += skip;
        if (slot >= m) slot -= m;
        next[i] = slot;
        if (++filled == m) return table;
      }
    }
  }

  public static void checkSize(int tableSize) {
    if (tableSize < 2 || tableSize > MAX_SIZE || !isPrime(tableSize)) {
      throw new IllegalArgumentException(
          "Maglev table size must be a prime in 2.." + MAX_SIZE + " (for example 65537), was " + tableSize);
    }
  }

  public static boolean isPrime(int n) {
    if (n < 2) return false;
    if (n % 2 == 0) return n == 2;
    for (int d = 3; (long) d * d <= n; d += 2) {
      if (n % d == 0) return false;
    }
    return true;
  }
}
