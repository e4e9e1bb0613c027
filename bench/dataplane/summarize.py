#!/usr/bin/env python3
"""Turns the raw outputs of bench/dataplane/run.sh into results.tsv (one line per run, test and target) and
summary.md (medians over the runs and ratios, ready for docs/benchmarks.md). Usage: summarize.py RESULTS_DIR

Raw files, in RESULTS_DIR/raw/: r<run>.<test>.<target>.out (wrk's text for ka/close/rate/c1k, with paced.lua's
"PACED {json}" or c1k.lua's "C1K {json}" line; iperf3 -J for bulk; idleconns.py's JSON for conns; udpbench.py's JSON
for udp) and r<run>.<test>.<target>.snap (procstat.py snap before and after the load, one JSON line each);
sys.<target>.strace and sys.<target>.out (--syscalls: strace -c's table and the wrk run it counted).
RESULTS_DIR/targets.tsv (and udp-targets.tsv) say which targets were measured and why one was not.
"""
import glob
import json
import os
import re
import statistics
import sys

ORDER = ["direct", "haproxy", "nginx", "fiberlb", "fiberlb-netty", "fiberlb-pekko"]
LABEL = {"direct": "direct", "haproxy": "HAProxy", "nginx": "nginx stream", "fiberlb": "FiberLB",
         "fiberlb-netty": "FiberLB netty", "fiberlb-pekko": "FiberLB pekko"}
TESTS = ["ka", "rate", "close", "c1k", "bulk", "conns", "udp"]
UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
PACED_START_S = 0.2  # paced.lua's first slot is 200 ms after wrk starts


def order_key(t):
    return ORDER.index(t) if t in ORDER else len(ORDER)


def parse_wrk(text):
    out = {}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+),", text, re.M)
    if not m:
        return None
    out["requests"] = int(m.group(1))
    m = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    out["rate"] = float(m.group(1)) if m else None
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    out["p99_ms"] = float(m.group(1)) * UNIT_S[m.group(2)] * 1e3 if m else None
    m = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    out["p50_ms"] = float(m.group(1)) * UNIT_S[m.group(2)] * 1e3 if m else None
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    out["errors"] = errors
    return out


def script_json(text, tag):
    m = re.search(r"^" + tag + r" (\{.*\})\s*$", text, re.M)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except ValueError:
        return None


def parse_iperf(text):
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if doc.get("error"):
        return {"error": doc["error"]}
    recv = doc.get("end", {}).get("sum_received", {})
    if not recv.get("bits_per_second"):
        return None
    return {"rate": recv["bits_per_second"] / 1e9, "bytes": recv.get("bytes", 0),
            "retransmits": doc.get("end", {}).get("sum_sent", {}).get("retransmits")}


def last_json(text):
    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def parse_strace(text):
    """strace -c's table: {syscall: calls} (the total line left out)."""
    calls = {}
    for line in text.splitlines():
        m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+(?:\d+\s+)?(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$", line)
        if m and m.group(2) != "total":
            calls[m.group(2)] = calls.get(m.group(2), 0) + int(m.group(1))
    return calls


def read_snaps(path):
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None
    return (lines[0], lines[-1]) if len(lines) >= 2 else None


def read_times(path):
    """CPU seconds between two outputs of bash's `times` (the children's line of each: "0m1.234s 0m0.567s")."""
    try:
        with open(path) as f:
            lines = [line.split() for line in f if line.strip()]
    except OSError:
        return None
    if len(lines) != 4:
        return None

    def seconds(words):
        total = 0.0
        for w in words:
            m = re.fullmatch(r"(\d+)m([\d.]+)s", w)
            if not m:
                raise ValueError(w)
            total += int(m.group(1)) * 60 + float(m.group(2))
        return total

    try:
        return seconds(lines[3]) - seconds(lines[1])
    except ValueError:
        return None


def delta(snaps, key):
    a, b = snaps
    if a.get(key) is None or b.get(key) is None:
        return None
    return b[key] - a[key]


def parse_test(test, text):
    if test in ("ka", "close"):
        return parse_wrk(text)
    if test == "rate":
        parsed = parse_wrk(text)
        paced = script_json(text, "PACED")
        if parsed is None or paced is None:
            return None
        # Latency from paced.lua (from the intended send time), not wrk's; the achieved rate over the paced span.
        for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "wrk_p99_ms", "late_sends"):
            parsed[k] = paced.get(k)
        span = paced.get("duration_s", 0) - PACED_START_S
        parsed["rate"] = paced["responses"] / span if span > 0 else None
        parsed["late_pct"] = 100.0 * paced["late_sends"] / paced["responses"] if paced.get("responses") else None
        return parsed
    if test == "c1k":
        parsed = parse_wrk(text)
        c1k = script_json(text, "C1K")
        if parsed is None or c1k is None:
            return None
        for k, v in c1k.items():
            if k not in ("responses",):
                parsed[k] = v
        return parsed
    if test == "bulk":
        return parse_iperf(text)
    if test in ("conns", "udp"):
        return last_json(text)
    return None


def collect(raw):
    rows = []
    for path in sorted(glob.glob(os.path.join(raw, "r*.*.*.out"))):
        name = os.path.basename(path)[:-4]
        run, test, target = name.split(".", 2)
        if test not in TESTS:
            continue
        with open(path, errors="replace") as f:
            text = f.read()
        row = {"run": int(run[1:]), "test": test, "target": target}
        parsed = parse_test(test, text)
        if parsed is None:
            row["error"] = "no parsable output"
            rows.append(row)
            continue
        row.update(parsed)
        if test == "udp" and row.get("received"):
            row["requests"] = row["received"]
        snaps = read_snaps(path[:-4] + ".snap")
        loadgen = read_times(path[:-4] + ".loadgen")
        if snaps:
            wall = delta(snaps, "t")
            row["wall_s"] = wall
            busy = delta(snaps, "machine_busy")
            row["machine_cores"] = busy / wall if busy is not None and wall else None
            for who in ("proxy", "backend"):
                cpu = delta(snaps, who + "_cpu")
                row[who + "_cores"] = cpu / wall if cpu is not None and wall else None
                if test in ("ka", "close", "rate", "c1k", "udp") and cpu is not None and row.get("requests"):
                    row[who + "_us_per_op"] = cpu * 1e6 / row["requests"]
                if test == "bulk" and cpu is not None and row.get("bytes"):
                    row[who + "_ms_per_gib"] = cpu * 1e3 / (row["bytes"] / 2**30)
            if loadgen is not None and busy is not None and wall:
                # What neither the proxy, the backends nor the load generator used: other people's work.
                ours = loadgen + (delta(snaps, "proxy_cpu") or 0) + (delta(snaps, "backend_cpu") or 0)
                row["loadgen_cores"] = loadgen / wall
                row["other_cores"] = max(0.0, busy - ours) / wall
        rows.append(row)
    return rows


def collect_syscalls(raw):
    out = {}
    for path in sorted(glob.glob(os.path.join(raw, "sys.*.strace"))):
        target = os.path.basename(path)[len("sys."):-len(".strace")]
        with open(path, errors="replace") as f:
            calls = parse_strace(f.read())
        wrk = None
        try:
            with open(path[:-len(".strace")] + ".out", errors="replace") as f:
                wrk = parse_wrk(f.read())
        except OSError:
            pass
        out[target] = {"calls": calls, "total": sum(calls.values()),
                       "requests": wrk["requests"] if wrk else None, "rate": wrk["rate"] if wrk else None}
    return out


# (test, field, label, format, goal for FiberLB/HAProxy as (op, bound) or None)
METRICS = [
    ("ka", "rate", "keep-alive req/s (-c{connections})", "{:,.0f}", (">=", 1.0)),
    ("ka", "p99_ms", "keep-alive p99 ms (closed loop, see fixed rate)", "{:.2f}", None),
    ("ka", "proxy_us_per_op", "proxy CPU µs per request", "{:.1f}", ("<=", 1.25)),
    ("rate", "rate", "fixed rate: achieved req/s (of {rate})", "{:,.0f}", None),
    ("rate", "p50_ms", "fixed rate: p50 ms", "{:.2f}", None),
    ("rate", "p99_ms", "fixed rate: p99 ms", "{:.2f}", ("<=", 1.5)),
    ("rate", "p999_ms", "fixed rate: p99.9 ms", "{:.2f}", None),
    ("rate", "max_ms", "fixed rate: max ms", "{:.2f}", None),
    ("rate", "late_pct", "fixed rate: requests sent > 1 ms late, %", "{:.1f}", None),
    ("rate", "proxy_us_per_op", "fixed rate: proxy CPU µs per request", "{:.1f}", None),
    ("close", "rate", "new connections/s (Connection: close)", "{:,.0f}", (">=", 0.8)),
    ("close", "p99_ms", "new-connection p99 ms", "{:.2f}", None),
    ("close", "proxy_us_per_op", "proxy CPU µs per new connection", "{:.1f}", None),
    ("c1k", "rate", "{c1k} connections: req/s", "{:,.0f}", None),
    ("c1k", "p99_ms", "{c1k} connections: p99 ms", "{:.1f}", None),
    ("c1k", "max_ms", "{c1k} connections: max ms", "{:,.0f}", None),
    ("c1k", "over_1s", "{c1k} connections: responses > 1 s", "{:,.0f}", None),
    ("c1k", "zero_conns", "{c1k} connections: connections with 0 responses", "{:,.0f}", None),
    ("c1k", "PER_CONN", "{c1k} connections: responses per connection min / median / max", None, None),
    ("c1k", "proxy_us_per_op", "{c1k} connections: proxy CPU µs per request", "{:.1f}", None),
    ("bulk", "rate", "iperf3 single stream Gbit/s", "{:.2f}", (">=", 0.8)),
    ("bulk", "proxy_ms_per_gib", "proxy CPU ms per GiB (iperf3)", "{:.0f}", None),
    ("conns", "kib_per_1000", "RSS per 1,000 open connections, KiB", "{:,.0f}", None),
    ("conns", "kib_per_conn", "RSS per open connection, KiB", "{:.1f}", ("abs<", 16.0)),
    ("conns", "heap_kib_per_conn", "live heap per open connection, KiB (JVM)", "{:.2f}", ("abs<", 16.0)),
    ("udp", "rate", "UDP round trips/s ({udp_flows} flows x {udp_window} in flight)", "{:,.0f}", None),
    ("udp", "proxy_us_per_op", "proxy CPU µs per UDP round trip (2 datagrams)", "{:.1f}", None),
    ("udp", "rtt_p99_us", "UDP round trip p99 µs", "{:,.0f}", None),
]
# Ratios to direct make sense for these (rates and latencies).
VS_DIRECT = {"rate", "p99_ms", "p50_ms"}
# Per-run ratios of each FiberLB engine to HAProxy, listed under the table.
PER_RUN = [("ka", "rate", "keep-alive req/s"), ("ka", "proxy_us_per_op", "CPU/request"),
           ("rate", "p99_ms", "fixed-rate p99"), ("close", "rate", "new conn/s"),
           ("close", "proxy_us_per_op", "CPU/new connection"), ("c1k", "rate", "1k-conn req/s"),
           ("bulk", "rate", "bulk Gbit/s"), ("bulk", "proxy_ms_per_gib", "CPU/GiB")]


def fmt(spec, v):
    return "-" if v is None else spec.format(v)


def read_status(path):
    status = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    status[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return status


def main(out_dir):
    rows = collect(os.path.join(out_dir, "raw"))
    for r in rows:
        if r["test"] == "conns" and r.get("kib_per_conn") is not None:
            r["kib_per_1000"] = r["kib_per_conn"] * 1000
    syscalls = collect_syscalls(os.path.join(out_dir, "raw"))

    status = read_status(os.path.join(out_dir, "targets.tsv"))
    udp_status = read_status(os.path.join(out_dir, "udp-targets.tsv"))
    targets = sorted(status, key=order_key) or sorted({r["target"] for r in rows}, key=order_key)
    params = {}
    ppath = os.path.join(out_dir, "params.txt")
    if os.path.exists(ppath):
        with open(ppath) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                params[k] = v

    # results.tsv: every run.
    cols = ["run", "test", "target", "rate", "p50_ms", "p99_ms", "p999_ms", "max_ms", "wrk_p99_ms", "late_pct",
            "requests", "errors", "over_1s", "slow_conns", "zero_conns", "conns_seen", "per_conn_min",
            "per_conn_median", "per_conn_max", "wrk_timeouts", "bytes", "retransmits",
            "opened", "failed", "kib_per_conn", "rss_before_kib", "rss_open_kib", "heap_kib_per_conn",
            "heap_open_kib", "heap_closed_kib", "sent", "received", "lost", "rtt_p50_us", "rtt_p99_us",
            "proxy_us_per_op", "backend_us_per_op", "proxy_ms_per_gib", "proxy_cores", "backend_cores",
            "loadgen_cores", "other_cores", "machine_cores", "wall_s", "error", "first_error", "heap_error"]
    with open(os.path.join(out_dir, "results.tsv"), "w") as f:
        f.write("\t".join(cols) + "\n")
        for r in sorted(rows, key=lambda r: (r["run"], TESTS.index(r["test"]), order_key(r["target"]))):
            vals = []
            for c in cols:
                v = r.get(c)
                vals.append("" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)))
            f.write("\t".join(vals) + "\n")

    def usable(r, test, target):
        if r["test"] != test or r["target"] != target:
            return False
        if test in ("ka", "close", "rate", "c1k") and r.get("errors") and not r.get("requests"):
            return False  # a run with errors still counts (they are listed below) unless nothing got through
        if test == "conns" and r.get("failed"):
            return False
        return True

    def values(test, field, target):
        return [r[field] for r in rows if usable(r, test, target) and r.get(field) is not None]

    def median(test, field, target):
        v = values(test, field, target)
        return statistics.median(v) if v else None

    proxies = [t for t in targets if t != "direct"]
    fibers = [t for t in targets if t.startswith("fiberlb")]
    header = ["metric"] + [LABEL.get(t, t) for t in targets]
    if "direct" in targets:
        header += [f"{LABEL.get(t, t)}/direct" for t in proxies]
    vs_haproxy = [t for t in fibers if "haproxy" in targets]
    if vs_haproxy:
        header += [f"{LABEL[t]}/HAProxy" for t in vs_haproxy] + ["goal"]

    lines = []
    runs = sorted({r["run"] for r in rows})
    lines.append(f"Medians of {len(runs)} interleaved run(s) of {params.get('duration', '?')} s each "
                 f"(wrk -t{params.get('threads', '?')} -c{params.get('connections', '?')}; fixed rate "
                 f"{params.get('rate', '?')} req/s over {params.get('rate_connections', '?')} connections, "
                 f"{params.get('rate_duration', '?')} s; {params.get('c1k', '?')} connections "
                 f"{params.get('c1k_duration', '?')} s; {params.get('conns', '?')} idle connections for RSS and "
                 f"heap). Ratios are of the medians.")
    lines.append("")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    fill = {k: params.get(k, "?") for k in ("connections", "rate", "c1k", "udp_flows", "udp_window")}
    for k in ("rate", "c1k"):
        if fill[k].isdigit():
            fill[k] = f"{int(fill[k]):,}"
    for test, field, label, spec, goal in METRICS:
        label = label.format(**fill)
        if field == "PER_CONN":
            meds = {t: [median(test, f, t) for f in ("per_conn_min", "per_conn_median", "per_conn_max")]
                    for t in targets}
            if all(v[0] is None for v in meds.values()):
                continue
            cells = [label] + ["-" if v[0] is None else " / ".join(f"{x:,.0f}" for x in v)
                               for v in (meds[t] for t in targets)]
            cells += [""] * (len(header) - len(cells))
            lines.append("| " + " | ".join(cells) + " |")
            continue
        med = {t: median(test, field, t) for t in targets}
        if all(v is None for v in med.values()):
            continue
        cells = [label] + [fmt(spec, med[t]) for t in targets]
        if "direct" in targets:
            for t in proxies:
                if field in VS_DIRECT and med[t] is not None and med["direct"]:
                    cells.append(f"{med[t] / med['direct']:.2f}")
                else:
                    cells.append("")
        if vs_haproxy:
            h = med.get("haproxy")
            verdicts = []
            for t in vs_haproxy:
                fl = med.get(t)
                ratio = fl / h if fl is not None and h else None
                cells.append("" if ratio is None or goal and goal[0] == "abs<" else f"{ratio:.2f}")
                if goal is None or fl is None:
                    continue
                if goal[0] == "abs<":
                    ok = fl < goal[1]
                elif ratio is None:
                    continue
                else:
                    ok = ratio >= goal[1] if goal[0] == ">=" else ratio <= goal[1]
                verdicts.append(f"{LABEL[t].split()[-1]} {'✓' if ok else '✗'}")
            if goal is None:
                cells.append("")
            else:
                bound = f"< {goal[1]:g} KiB" if goal[0] == "abs<" else f"{'≥' if goal[0] == '>=' else '≤'} {goal[1]:g}"
                cells.append(bound + (": " + ", ".join(verdicts) if verdicts else ""))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")

    # Each engine against HAProxy run by run (the same run: the same minutes of the machine).
    for t in vs_haproxy:
        parts = []
        for test, field, label in PER_RUN:
            ratios = []
            for run in runs:
                a = [r.get(field) for r in rows if r["run"] == run and usable(r, test, t)]
                b = [r.get(field) for r in rows if r["run"] == run and usable(r, test, "haproxy")]
                if a and b and a[0] is not None and b[0]:
                    ratios.append(f"{a[0] / b[0]:.2f}")
            if ratios:
                parts.append(f"{label} {', '.join(ratios)}")
        if parts:
            lines.append(f"- {LABEL[t]}/HAProxy per run: " + "; ".join(parts))
    for t in targets:
        st, detail = status.get(t, ("measured", ""))
        if st != "ok":
            lines.append(f"- {LABEL.get(t, t)}: **{st}**" + (f" ({detail})" if detail else ""))
        elif t.startswith("fiberlb") and detail:
            lines.append(f"- {LABEL.get(t, t)}: {detail}")
    for t in sorted(udp_status, key=order_key):
        st, detail = udp_status[t]
        if st != "ok":
            lines.append(f"- UDP {LABEL.get(t, t)}: **{st}**" + (f" ({detail})" if detail else ""))
    bad = [r for r in rows if r.get("error") or r.get("errors") or r.get("failed") or r.get("heap_error")
           or (r["test"] == "udp" and r.get("lost"))]
    for r in bad:
        if r.get("error"):
            what = r["error"]
        elif r.get("errors"):
            what = f"{r['errors']} wrk errors"
        elif r.get("failed"):
            what = f"{r.get('failed')} of {r.get('count')} connections failed: {r.get('first_error')}"
        elif r.get("heap_error"):
            what = f"no heap figure: {r['heap_error']}"
        else:
            what = f"{r['lost']} of {r.get('sent')} datagrams lost"
        lines.append(f"- run {r['run']} {r['test']} {LABEL.get(r['target'], r['target'])}: {what}")
    for t in fibers:
        tops = [r.get("heap_top") for r in rows if r["test"] == "conns" and r["target"] == t and r.get("heap_top")]
        if tops:
            lines.append(f"- {LABEL[t]} heap growth per open connection (last run; class, instances, bytes): " +
                         "; ".join(f"`{c}` {n:g}, {b:,.0f} B" for c, n, b in tops[-1][:5]))

    if syscalls:
        lines.append("")
        lines.append(f"Syscalls per keep-alive request (strace -c -f, every thread; one wrk run of "
                     f"{params.get('syscalls_duration', '?')} s at -c{params.get('connections', '?')}; req/s is "
                     f"under strace):")
        lines.append("")
        lines.append("| target | syscalls per request | requests | req/s under strace | top syscalls per request |")
        lines.append("|---|---|---|---|---|")
        for t in sorted(syscalls, key=order_key):
            s = syscalls[t]
            n = s["requests"]
            per = s["total"] / n if n else None
            top = sorted(s["calls"].items(), key=lambda kv: -kv[1])[:6]
            tops = ", ".join(f"{name} {c / n:.2f}" for name, c in top) if n else "-"
            lines.append(f"| {LABEL.get(t, t)} | {fmt('{:.2f}', per)} | {fmt('{:,}', n)} | "
                         f"{fmt('{:,.0f}', s['rate'])} | {tops} |")

    # Per run, for the spread and for what else the machine was doing.
    lines.append("")
    lines.append("<details><summary>Every run</summary>")
    lines.append("")
    lines.append("| run | test | target | rate | p99 ms | proxy µs/op | backend µs/op | proxy cores | backend cores"
                 " | load generator cores | other cores | machine busy cores |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    unit = {"ka": "req/s", "rate": "req/s", "close": "conn/s", "c1k": "req/s", "bulk": "Gbit/s",
            "conns": "KiB/conn", "udp": "rt/s"}
    for r in sorted(rows, key=lambda r: (r["run"], TESTS.index(r["test"]), order_key(r["target"]))):
        rate = r.get("kib_per_conn") if r["test"] == "conns" else r.get("rate")
        rate_s = "-" if rate is None else (f"{rate:,.2f}" if r["test"] in ("bulk", "conns") else f"{rate:,.0f}")
        if r["test"] == "conns" and r.get("heap_kib_per_conn") is not None:
            rate_s += f" (heap {r['heap_kib_per_conn']:.2f})"
        per_op = r.get("proxy_us_per_op") if r["test"] != "bulk" else r.get("proxy_ms_per_gib")
        per_op_s = fmt("{:.1f}", per_op) + (" ms/GiB" if r["test"] == "bulk" and per_op is not None else "")
        lines.append("| " + " | ".join([
            str(r["run"]), r["test"], LABEL.get(r["target"], r["target"]), f"{rate_s} {unit[r['test']]}",
            fmt("{:.2f}", r.get("p99_ms")), per_op_s, fmt("{:.1f}", r.get("backend_us_per_op")),
            fmt("{:.2f}", r.get("proxy_cores")), fmt("{:.2f}", r.get("backend_cores")),
            fmt("{:.2f}", r.get("loadgen_cores")), fmt("{:.2f}", r.get("other_cores")),
            fmt("{:.2f}", r.get("machine_cores"))]) + " |")
    lines.append("")
    lines.append("</details>")

    text = "\n".join(lines) + "\n"
    machine = os.path.join(out_dir, "machine.txt")
    head = ""
    if os.path.exists(machine):
        with open(machine) as f:
            head = "```\n" + f.read().rstrip() + "\n```\n\n"
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(head + text)
    sys.stdout.write(head + text)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
