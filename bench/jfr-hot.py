#!/usr/bin/env python3
"""Hot frames of a JFR recording: where the CPU samples (jdk.ExecutionSample) land.

Usage: bench/jfr-hot.py RECORDING.jfr [--top 25] [--threads] [--match SUBSTRING]

Prints three tables from `jfr print --events jdk.ExecutionSample --stack-depth 96`:
  * self: the top frame of each sample (where the CPU actually was),
  * inclusive: frames (method level) that appear anywhere in the stack, i.e. the cost of everything under them,
  * buckets: each sample put in the first matching bucket, by a list of well-known package prefixes
    (e.g. H2, Jackson/CBOR, pekko-http, sharding ...), walking from the top of the stack down; generic buckets
    (Scala collections, JDK concurrency, actor dispatch, JDK I/O) count only when nothing more specific is found.
--threads adds a table by thread name (digits folded). --match keeps only samples whose stack contains SUBSTRING.
"""
import collections
import re
import subprocess
import sys

BUCKETS = [
    ("h2 database", ("org.h2.",)),
    ("jdbc/slick/hikari", ("slick.", "com.zaxxer.hikari", "org.apache.pekko.persistence.jdbc")),
    ("jackson/cbor serialization", ("com.fasterxml.jackson",)),
    ("protobuf", ("com.google.protobuf",)),
    ("grpc-java/netty", ("io.grpc.",)),
    ("pekko-grpc", ("org.apache.pekko.grpc",)),
    ("pekko-http (http2)", ("org.apache.pekko.http",)),
    ("pekko-streams", ("org.apache.pekko.stream",)),
    ("pekko persistence", ("org.apache.pekko.persistence",)),
    ("pekko sharding", ("org.apache.pekko.cluster.sharding",)),
    ("fiberlb", ("io.fiberlb.",)),
    ("SecureRandom/UUID", ("sun.security.provider", "java.util.UUID")),
    ("logging", ("ch.qos.logback", "org.slf4j", "org.apache.pekko.event")),
    ("pekko actor/dispatch", ("org.apache.pekko.actor", "org.apache.pekko.dispatch", "org.apache.pekko.pattern")),
    ("scala runtime/collections", ("scala.",)),
    ("thread start", ("java.lang.Thread.start",)),
    ("jdk concurrency", ("java.util.concurrent",)),
    ("jdk io/nio", ("sun.nio", "java.nio", "java.io", "sun.net")),
]

GENERIC = {"scala runtime/collections", "jdk concurrency", "pekko actor/dispatch", "jdk io/nio"}


def samples(path):
    out = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "96", path],
                         check=True, capture_output=True, text=True).stdout
    for block in out.split("jdk.ExecutionSample {")[1:]:
        thread = re.search(r'sampledThread = "([^"]*)"', block)
        frames = re.findall(r"^\s{4}(\S.*?)(?:\s+line: \d+)?\s*$", block.split("stackTrace = [", 1)[-1], re.M)
        frames = [f for f in frames if f not in ("]", "...") and not f.startswith("}")]
        yield (thread.group(1) if thread else "?"), frames


def method(frame):
    return re.sub(r"\(.*", "", frame)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(64)
    top = int(args[args.index("--top") + 1]) if "--top" in args else 25
    match = args[args.index("--match") + 1] if "--match" in args else None
    by_self, by_incl, by_bucket, by_thread = (collections.Counter() for _ in range(4))
    n = 0
    for thread, frames in samples(args[0]):
        if not frames or (match and not any(match in f for f in frames)):
            continue
        n += 1
        by_self[method(frames[0])] += 1
        for m in set(method(f) for f in frames):
            by_incl[m] += 1
        # The first frame from the top that belongs to a specific component; generic ones (Scala collections, JDK
        # concurrency, actor dispatch) only when nothing more specific is on the stack.
        bucket = "other"
        generic = None
        for f in frames:
            hit = next((name for name, prefixes in BUCKETS if f.startswith(prefixes)), None)
            if hit in GENERIC:
                generic = generic or hit
            elif hit:
                bucket = hit
                break
        else:
            bucket = generic or "other"
        by_bucket[bucket] += 1
        by_thread[re.sub(r"\d+", "N", thread)] += 1
    print(f"{n} samples" + (f" containing '{match}'" if match else ""))
    tables = [("self (top frame)", by_self), ("inclusive", by_incl), ("bucket (first known frame from the top)", by_bucket)]
    if "--threads" in args:
        tables.append(("thread", by_thread))
    for title, counter in tables:
        print(f"\n-- {title}")
        for name, c in counter.most_common(top):
            print(f"{100.0 * c / max(n, 1):6.1f}%  {c:6d}  {name}")


if __name__ == "__main__":
    main()
