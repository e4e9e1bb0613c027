#!/usr/bin/env python3
"""Memory a proxy holds per open client connection, for bench/dataplane/run.sh.

Reads the RSS of the proxy's process tree (procstat.py), opens COUNT TCP connections through the proxy and on each
sends one keep-alive HTTP request and reads the whole response (so the proxy really has connected the backend and
moved bytes both ways; --no-request only connects), leaves them all open and idle for SETTLE seconds, reads the RSS
again, closes them, and prints one JSON object:

    {"count", "opened", "failed", "first_error", "rss_before_kib", "rss_open_kib", "rss_closed_kib",
     "kib_per_conn", "open_seconds"}

kib_per_conn = (rss_open - rss_before) / opened.

With --jvm (the proxy is a JVM; needs the JDK's jcmd): the live heap too, from `jcmd PID GC.class_histogram` (a
full GC, then every live object counted; "Total" bytes), once with the connections open (after the RSS reading,
so the GC does not disturb it) and once after they are closed and SETTLE seconds passed. Adds

    {"heap_open_kib", "heap_closed_kib", "heap_kib_per_conn", "heap_top"}

heap_kib_per_conn = (heap_open - heap_closed) / opened; heap_top: the classes that grew most, as
[class, instances per connection, bytes per connection]. --histo PREFIX keeps both histograms (PREFIX.open.txt,
PREFIX.closed.txt).
"""
import argparse
import json
import re
import resource
import socket
import subprocess
import sys
import time

import procstat

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: fiberlb-idleconns\r\n\r\n"


def read_response(sock):
    """Reads one HTTP/1.1 response with a Content-Length body; raises on a short or malformed one."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response headers")
        data += chunk
        if len(data) > 65536:
            raise ConnectionError("response headers over 64 KiB")
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if not status.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(f"unexpected status line {status!r}")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed in the response body")
        body += chunk


def class_histogram(pid):
    """jcmd PID GC.class_histogram: (total live bytes, {class: (instances, bytes)}, text). Raises on failure."""
    out = subprocess.run(["jcmd", str(pid), "GC.class_histogram"], capture_output=True, text=True, timeout=120)
    m = re.search(r"^Total\s+(\d+)\s+(\d+)\s*$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError(f"jcmd {pid} GC.class_histogram failed: {(out.stderr or out.stdout).strip()[:300]}")
    classes = {}
    for line in out.stdout.splitlines():
        f = re.match(r"^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if f:
            classes[f.group(3)] = (int(f.group(1)), int(f.group(2)))
    return int(m.group(2)), classes, out.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--pid", required=True, help="the proxy's PID (its process tree is measured)")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait before reading the RSS")
    ap.add_argument("--no-request", action="store_true", help="only connect, send nothing")
    ap.add_argument("--jvm", action="store_true", help="also the live heap, with jcmd (the proxy is a JVM)")
    ap.add_argument("--histo", help="with --jvm: keep the class histograms as PREFIX.open.txt, PREFIX.closed.txt")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))

    time.sleep(args.settle)  # let whatever ran before settle too
    before = procstat.rss_kib(args.pid)
    socks, failed, first_error = [], 0, None
    t0 = time.monotonic()
    for _ in range(args.count):
        s = None
        try:
            s = socket.create_connection((args.host, args.port), timeout=5)
            if not args.no_request:
                s.sendall(REQUEST)
                read_response(s)
            socks.append(s)
        except OSError as e:  # ConnectionError and timeouts are OSErrors too
            failed += 1
            first_error = first_error or f"{type(e).__name__}: {e}"
            if s is not None:
                s.close()
    open_seconds = time.monotonic() - t0
    time.sleep(args.settle)
    during = procstat.rss_kib(args.pid)
    opened = len(socks)
    heap = {}
    if args.jvm:
        try:
            heap["open"] = class_histogram(args.pid)
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
            heap["error"] = str(e)
    for s in socks:
        s.close()
    time.sleep(args.settle)
    if args.jvm and "error" not in heap:
        try:
            heap["closed"] = class_histogram(args.pid)
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
            heap["error"] = str(e)
    after = procstat.rss_kib(args.pid)
    result = {
        "count": args.count, "opened": opened, "failed": failed, "first_error": first_error,
        "rss_before_kib": before, "rss_open_kib": during, "rss_closed_kib": after,
        "kib_per_conn": (during - before) / opened if opened else None,
        "open_seconds": round(open_seconds, 3),
    }
    if args.jvm:
        if "error" in heap:
            result["heap_error"] = heap["error"]
        else:
            (open_b, open_c, open_t), (closed_b, closed_c, closed_t) = heap["open"], heap["closed"]
            result["heap_open_kib"] = round(open_b / 1024, 1)
            result["heap_closed_kib"] = round(closed_b / 1024, 1)
            result["heap_kib_per_conn"] = (open_b - closed_b) / 1024 / opened if opened else None
            grew = []
            for cls, (n, b) in open_c.items():
                n0, b0 = closed_c.get(cls, (0, 0))
                if b > b0:
                    grew.append((b - b0, n - n0, cls))
            grew.sort(reverse=True)
            result["heap_top"] = [[cls, round(dn / opened, 2), round(db / opened, 1)]
                                  for db, dn, cls in grew[:8]] if opened else []
            if args.histo:
                for name, text in (("open", open_t), ("closed", closed_t)):
                    with open(f"{args.histo}.{name}.txt", "w") as f:
                        f.write(text)
    print(json.dumps(result))
    return 0 if opened == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
