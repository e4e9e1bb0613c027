package io.fiberlb.it;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Bounded polling: ask again every 50 ms until the answer is right or the deadline passes. A deadline that passes
 * fails the test here, with the last value seen, rather than later under another name.
 */
public final class Poll {
  private Poll() {}

  /** The first value that satisfied {@code done}; fails with the last value seen when {@code limit} passes first. */
  public static <T> T until(Duration limit, Supplier<T> probe, Predicate<T> done) {
    return until("the condition", limit, probe, done);
  }

  /**
   * As {@link #until(Duration, Supplier, Predicate)}, naming what was awaited in the failure message.
   *
   * @param what what was awaited, e.g. "listener ONLINE"
   */
  public static <T> T until(String what, Duration limit, Supplier<T> probe, Predicate<T> done) {
    T last = lastUntil(limit, probe, done);
    if (!done.test(last)) {
      throw new AssertionError("waited " + limit.toMillis() + " ms for " + what + "; it never held. Last value: "
          + last);
    }
    return last;
  }

  /**
   * For a test that asserts on the outcome itself (or expects the condition not to hold): the first value that
   * satisfied {@code done}, or the last one seen before the deadline, without failing.
   */
  public static <T> T lastUntil(Duration limit, Supplier<T> probe, Predicate<T> done) {
    Instant deadline = Instant.now().plus(limit);
    T last = probe.get();
    while (!done.test(last) && Instant.now().isBefore(deadline)) {
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      last = probe.get();
    }
    return last;
  }

  /**
   * For a condition that must hold throughout a window rather than become true: runs {@code check} (which asserts
   * itself) every {@code interval} until {@code window} has passed. Returns how many times it ran.
   */
  public static int during(Duration window, Duration interval, Runnable check) {
    Instant end = Instant.now().plus(window);
    int runs = 0;
    while (Instant.now().isBefore(end)) {
      check.run();
      runs++;
      LockSupport.parkNanos(interval.toNanos());
    }
    return runs;
  }
}
