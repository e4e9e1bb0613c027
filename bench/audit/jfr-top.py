#!/usr/bin/env python3
"""Where a JFR recording's CPU samples are: top frames (self time) and inclusive time by component.

Usage: jfr-top.py RECORDING.jfr [TOP_N] [THREAD_SUBSTRING] [--stacks FRAME_SUBSTRING]

With --stacks, also prints the most common stacks (12 frames) of samples whose top frame contains FRAME_SUBSTRING.

Reads `jfr print --json --events jdk.ExecutionSample` (whole stacks, up to the recording's stack depth) and prints
  1. the methods at the top of the stack, most samples first (where the CPU is spent itself);
  2. for each component (H2, Jackson, protobuf JSON, ...) the share of samples with a frame of it anywhere on the
     stack (inclusive; a sample can count for several components);
  3. the sampled threads.
"""
import collections
import json
import subprocess
import sys

COMPONENTS = [
    # (name, substrings of "class.method"; first match on a frame wins for that frame)
    ("H2 database (org.h2)", ["org.h2."]),
    ("H2 LOB / BLOB reads", ["org.h2.value.ValueBlob", "org.h2.value.lob", "org.h2.store.LobStorage",
                             "org.h2.mvstore.db.LobStorageMap", "org.h2.jdbc.JdbcBlob", "org.h2.value.ValueLob"]),
    ("Slick / JDBC result mapping", ["slick."]),
    ("HikariCP", ["com.zaxxer.hikari."]),
    ("Pekko serialization (deserialize)", ["org.apache.pekko.serialization.Serialization.deserialize",
                                          "JacksonSerializer.fromBinary"]),
    ("Jackson CBOR (parse)", ["com.fasterxml.jackson.dataformat.cbor.CBORParser"]),
    ("Jackson (all)", ["com.fasterxml.jackson."]),
    ("details_json (ObjectMapper.writeValueAsString)", ["ObjectMapper.writeValueAsString"]),
    ("AuditServiceImpl.toWire", ["io.fiberlb.audit.AuditServiceImpl.toWire"]),
    ("LoadBalancerState.apply (fold)", ["io.fiberlb.controlplane.LoadBalancerState$Active.apply",
                                        "io.fiberlb.controlplane.LoadBalancerState$"]),
    ("History.snapshot / ProtoMapper", ["io.fiberlb.audit.History.snapshot", "io.fiberlb.api.ProtoMapper"]),
    ("protobuf (serialize / build)", ["com.google.protobuf."]),
    ("gRPC / HTTP2 (pekko-grpc, pekko-http)", ["org.apache.pekko.grpc.", "org.apache.pekko.http."]),
    ("Pekko streams", ["org.apache.pekko.stream."]),
    ("read journal (pekko-persistence-jdbc)", ["org.apache.pekko.persistence.jdbc."]),
    ("JournalSequenceActor", ["JournalSequenceActor"]),
    ("recovery of entities (EventSourcedBehavior)", ["org.apache.pekko.persistence.typed.internal."]),
]


def frame_name(f):
    m = f.get("method", {})
    t = m.get("type", {})
    return f"{t.get('name', '?')}.{m.get('name', '?')}".replace("/", ".")


def main():
    argv = sys.argv[1:]
    stacks_of = None
    if "--stacks" in argv:
        i = argv.index("--stacks")
        stacks_of = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    path = argv[0]
    top_n = int(argv[1]) if len(argv) > 1 else 25
    thread_filter = argv[2] if len(argv) > 2 and argv[2] else None
    stacks = collections.Counter()
    out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", path],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    tops = collections.Counter()
    comps = collections.Counter()
    threads = collections.Counter()
    total = 0
    for e in events:
        v = e["values"]
        thread = (v.get("sampledThread") or {}).get("javaName") or "?"
        if thread_filter and thread_filter not in thread:
            continue
        frames = (v.get("stackTrace") or {}).get("frames") or []
        if not frames:
            continue
        total += 1
        threads[thread.rstrip("0123456789-")] += 1
        tops[frame_name(frames[0])] += 1
        names = [frame_name(f) for f in frames]
        if stacks_of and stacks_of in names[0]:
            stacks[" <- ".join(names[:12])] += 1
        for comp, subs in COMPONENTS:
            if any(any(s in n for s in subs) for n in names):
                comps[comp] += 1
    if total == 0:
        print("no samples")
        return
    print(f"{total} CPU samples{' on threads ~' + thread_filter if thread_filter else ''}")
    print()
    print(f"top {top_n} frames (self):")
    for name, n in tops.most_common(top_n):
        print(f"  {100.0 * n / total:5.1f}%  {n:6d}  {name}")
    print()
    print("components (inclusive: a frame anywhere on the stack):")
    for comp, _ in COMPONENTS:
        n = comps[comp]
        if n:
            print(f"  {100.0 * n / total:5.1f}%  {n:6d}  {comp}")
    if stacks_of:
        print()
        print(f"stacks of top frames ~{stacks_of}:")
        for st, n in stacks.most_common(5):
            print(f"  {n:6d}  {st}")
    print()
    print("threads:")
    for name, n in threads.most_common(8):
        print(f"  {100.0 * n / total:5.1f}%  {n:6d}  {name}")


if __name__ == "__main__":
    main()
