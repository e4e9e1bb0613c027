#!/usr/bin/env python3
"""Turns the raw outputs of bench/dataplane/run.sh into results.tsv (one line per run, test and target) and
summary.md (medians over the runs and ratios, ready for docs/benchmarks.md). Usage: summarize.py RESULTS_DIR

Raw files, in RESULTS_DIR/raw/: r<run>.<test>.<target>.out (wrk's text for ka/close, iperf3 -J for bulk,
idleconns.py's JSON for conns) and r<run>.<test>.<target>.snap (procstat.py snap before and after the load, one
JSON line each). RESULTS_DIR/targets.tsv says which targets were measured and why one was not.
"""
import glob
import json
import os
import re
import statistics
import sys

ORDER = ["direct", "haproxy", "nginx", "fiberlb"]
LABEL = {"direct": "direct", "haproxy": "HAProxy", "nginx": "nginx stream", "fiberlb": "FiberLB"}
UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


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


def collect(raw):
    rows = []
    for path in sorted(glob.glob(os.path.join(raw, "r*.*.*.out"))):
        name = os.path.basename(path)[:-4]
        run, test, target = name.split(".", 2)
        with open(path, errors="replace") as f:
            text = f.read()
        row = {"run": int(run[1:]), "test": test, "target": target}
        if test in ("ka", "close"):
            parsed = parse_wrk(text)
        elif test == "bulk":
            parsed = parse_iperf(text)
        elif test == "conns":
            try:
                parsed = json.loads(text.strip().splitlines()[-1])
            except (ValueError, IndexError):
                parsed = None
        else:
            continue
        if parsed is None:
            row["error"] = "no parsable output"
            rows.append(row)
            continue
        row.update(parsed)
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
                if test in ("ka", "close") and cpu is not None and row.get("requests"):
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


# (test, field, label, format, goal for FiberLB/HAProxy as (op, bound) or None)
METRICS = [
    ("ka", "rate", "keep-alive req/s (-c{c})", "{:,.0f}", (">=", 1.0)),
    ("ka", "p99_ms", "keep-alive p99 ms", "{:.2f}", ("<=", 1.5)),
    ("ka", "proxy_us_per_op", "proxy CPU µs per request", "{:.1f}", ("<=", 1.25)),
    ("close", "rate", "new connections/s (Connection: close)", "{:,.0f}", (">=", 0.8)),
    ("close", "p99_ms", "new-connection p99 ms", "{:.2f}", None),
    ("close", "proxy_us_per_op", "proxy CPU µs per new connection", "{:.1f}", None),
    ("bulk", "rate", "iperf3 single stream Gbit/s", "{:.2f}", (">=", 0.8)),
    ("bulk", "proxy_ms_per_gib", "proxy CPU ms per GiB (iperf3)", "{:.0f}", None),
    ("conns", "kib_per_1000", "RSS per 1,000 open connections, KiB", "{:,.0f}", None),
    ("conns", "kib_per_conn", "RSS per open connection, KiB", "{:.1f}", ("abs<", 16.0)),
]


def fmt(spec, v):
    return "-" if v is None else spec.format(v)


def main(out_dir):
    rows = collect(os.path.join(out_dir, "raw"))
    for r in rows:
        if r["test"] == "conns" and r.get("kib_per_conn") is not None:
            r["kib_per_1000"] = r["kib_per_conn"] * 1000

    status = {}
    tsv = os.path.join(out_dir, "targets.tsv")
    if os.path.exists(tsv):
        with open(tsv) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    status[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    targets = [t for t in ORDER if t in status] or sorted({r["target"] for r in rows}, key=ORDER.index)
    params = {}
    ppath = os.path.join(out_dir, "params.txt")
    if os.path.exists(ppath):
        with open(ppath) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                params[k] = v

    # results.tsv: every run.
    cols = ["run", "test", "target", "rate", "p50_ms", "p99_ms", "requests", "errors", "bytes", "retransmits",
            "opened", "failed", "kib_per_conn", "rss_before_kib", "rss_open_kib", "proxy_us_per_op",
            "backend_us_per_op", "proxy_ms_per_gib", "proxy_cores", "backend_cores", "loadgen_cores", "other_cores",
            "machine_cores", "wall_s",
            "error", "first_error"]
    with open(os.path.join(out_dir, "results.tsv"), "w") as f:
        f.write("\t".join(cols) + "\n")
        for r in sorted(rows, key=lambda r: (r["run"], r["test"], ORDER.index(r["target"]))):
            vals = []
            for c in cols:
                v = r.get(c)
                vals.append("" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)))
            f.write("\t".join(vals) + "\n")

    def values(test, field, target):
        out = []
        for r in rows:
            if r["test"] != test or r["target"] != target or r.get(field) is None:
                continue
            if test in ("ka", "close") and r.get("errors"):
                # A run with errors still counts (the errors are shown below) unless nothing got through.
                if not r.get("requests"):
                    continue
            if test == "conns" and r.get("failed"):
                continue
            out.append(r[field])
        return out

    def median(test, field, target):
        v = values(test, field, target)
        return statistics.median(v) if v else None

    proxies = [t for t in targets if t != "direct"]
    header = ["metric"] + [LABEL[t] for t in targets]
    if "direct" in targets:
        header += [f"{LABEL[t]}/direct" for t in proxies]
    both = "fiberlb" in targets and "haproxy" in targets
    if both:
        header += ["FiberLB/HAProxy", "goal"]

    lines = []
    runs = sorted({r["run"] for r in rows})
    lines.append(f"Medians of {len(runs)} interleaved run(s) of {params.get('duration', '?')} s each "
                 f"(wrk -t{params.get('threads', '?')} -c{params.get('connections', '?')}, "
                 f"{params.get('conns', '?')} idle connections for RSS). Ratios are of the medians.")
    lines.append("")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for test, field, label, spec, goal in METRICS:
        label = label.format(c=params.get("connections", "64"))
        med = {t: median(test, field, t) for t in targets}
        if all(v is None for v in med.values()):
            continue
        cells = [label] + [fmt(spec, med[t]) for t in targets]
        if "direct" in targets:
            for t in proxies:
                if field in ("rate", "p99_ms") and med[t] is not None and med["direct"]:
                    cells.append(f"{med[t] / med['direct']:.2f}")
                else:
                    cells.append("")
        if both:
            h, fl = med.get("haproxy"), med.get("fiberlb")
            cells.append(f"{fl / h:.2f}" if fl is not None and h else "")
            if goal is None:
                cells.append("")
            elif goal[0] == "abs<":
                cells.append(f"< {goal[1]:g} KiB" + ("" if fl is None else (" ✓" if fl < goal[1] else " ✗")))
            else:
                ratio = fl / h if fl is not None and h else None
                ok = None if ratio is None else (ratio >= goal[1] if goal[0] == ">=" else ratio <= goal[1])
                cells.append(f"{'≥' if goal[0] == '>=' else '≤'} {goal[1]:g}" +
                             ("" if ok is None else (" ✓" if ok else " ✗")))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for t in targets:
        st, detail = status.get(t, ("measured", ""))
        if st != "ok":
            lines.append(f"- {LABEL[t]}: **{st}**" + (f" ({detail})" if detail else ""))
    bad = [r for r in rows if r.get("error") or r.get("errors") or r.get("failed")]
    for r in bad:
        what = r.get("error") or (f"{r['errors']} wrk errors" if r.get("errors") else
                                  f"{r.get('failed')} of {r.get('count')} connections failed: {r.get('first_error')}")
        lines.append(f"- run {r['run']} {r['test']} {LABEL.get(r['target'], r['target'])}: {what}")

    # Per run, for the spread and for what else the machine was doing.
    lines.append("")
    lines.append("<details><summary>Every run</summary>")
    lines.append("")
    lines.append("| run | test | target | rate | p99 ms | proxy µs/op | backend µs/op | proxy cores | backend cores"
                 " | load generator cores | other cores | machine busy cores |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    unit = {"ka": "req/s", "close": "conn/s", "bulk": "Gbit/s", "conns": "KiB/conn"}
    for r in sorted(rows, key=lambda r: (r["run"], ["ka", "close", "bulk", "conns"].index(r["test"]),
                                         ORDER.index(r["target"]))):
        rate = r.get("kib_per_conn") if r["test"] == "conns" else r.get("rate")
        rate_s = "-" if rate is None else (f"{rate:,.2f}" if r["test"] in ("bulk", "conns") else f"{rate:,.0f}")
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
