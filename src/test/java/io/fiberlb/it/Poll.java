package io.fiberlb.it;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Bounded polling: ask again every 50 ms until the answer is right or the deadline passes. */
public final class Poll {
  private Poll() {}

  /** The last value seen: the first one that satisfied {@code done}, or the last one before the deadline. */
  public static <T> T until(Duration limit, Supplier<T> probe, java.util.function.Predicate<T> done) {
    Instant deadline = Instant.now().plus(limit);
    T last = probe.get();
    while (!done.test(last) && Instant.now().isBefore(deadline)) {
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      last = probe.get();
    }
    return last;
  }
}
