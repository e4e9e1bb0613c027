package io.fiberlb.api.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Something made from files an operator manages (a tokens file, a JWKS, a certificate and its key), made again when
 * one of them changes: at most once per {@code interval}, a look at their contents decides. A
 * change that fails to load (a half-written file) keeps the last good value and is tried again at the next look.
 * The first load must succeed: the server refuses to start with a broken file.
 */
public final class WatchedFile<T> {
  private static final Logger log = LoggerFactory.getLogger(WatchedFile.class);

  private final List<Path> paths;
  private final Function<List<Path>, T> load;
  private final long intervalNanos;
  private volatile T value;
  private volatile List<String> stamp;
  private volatile long checkedAt;

  public WatchedFile(List<Path> paths, Duration interval, Function<List<Path>, T> load) {
    this.paths = List.copyOf(paths);
    this.load = load;
    this.intervalNanos = interval.toNanos();
    this.stamp = stamp();
    this.value = load.apply(this.paths);
    this.checkedAt = System.nanoTime();
  }

  /** The value from the files as they were at most {@code interval} ago. */
  public T get() {
    long now = System.nanoTime();
    if (now - checkedAt >= intervalNanos) {
      synchronized (this) {
        if (now - checkedAt >= intervalNanos) {
          reloadIfChanged();
          checkedAt = System.nanoTime();
        }
      }
    }
    return value;
  }

  private void reloadIfChanged() {
    List<String> now;
    try {
      now = stamp();
    } catch (UncheckedIOException e) {
      log.warn("cannot read {}: {}; keeping what was loaded before", paths, e.getMessage());
      return;
    }
    if (Objects.equals(now, stamp)) return;
    try {
      value = load.apply(paths);
      stamp = now;
      log.info("reloaded {}", paths);
    } catch (RuntimeException e) {
      log.warn("cannot load {} after a change: {}; keeping what was loaded before", paths, e.getMessage());
    }
  }

  private List<String> stamp() {
    return paths.stream().map(p -> {
      try {
        // The content itself: these files are a few KB, and a rewrite within one clock tick is still seen.
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }
}
