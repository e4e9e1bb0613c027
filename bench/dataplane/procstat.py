#!/usr/bin/env python3
"""CPU time and resident memory of process trees, read from /proc, for bench/dataplane/run.sh.

A "tree" is a process and all its live descendants: nginx's master and workers, HAProxy (one process, its
threads are counted in its /proc/PID/stat), the FiberLB JVM (likewise).

    procstat.py snap NAME=PID ...   one JSON line: wall clock, machine busy CPU seconds (/proc/stat), and per NAME
                                    the tree's CPU seconds (utime+stime) and RSS in KiB. PID "-" gives nulls.
    procstat.py rss PID             the tree's RSS in KiB
    procstat.py pids PID            the tree's processes, one line (for strace -f -p: it attaches all their threads)
    procstat.py threads PID         the tree's thread names (/proc/PID/task/TID/comm), one a line
"""
import json
import os
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (which may hold spaces): index 0 is field 3 (state)."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()


def tree(pid):
    """pid and its live descendants (one pass over /proc: ppid links)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [int(pid)]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    total = 0
    for p in tree(pid):
        try:
            f = _stat_fields(p)
        except OSError:
            continue
        total += int(f[11]) + int(f[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def rss_kib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def thread_names(pid):
    names = []
    for p in tree(pid):
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/comm") as f:
                    names.append(f.read().strip())
        except OSError:
            continue
    return names


def machine_busy_seconds():
    """CPU seconds all cores spent not idle (user nice system irq softirq steal) since boot."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in parts[1:9])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def snap(specs):
    out = {"t": time.time(), "machine_busy": machine_busy_seconds()}
    for spec in specs:
        name, _, pid = spec.partition("=")
        if pid in ("", "-"):
            out[name + "_cpu"] = None
            out[name + "_rss_kib"] = None
        else:
            out[name + "_cpu"] = cpu_seconds(pid)
            out[name + "_rss_kib"] = rss_kib(pid)
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == "snap":
        print(json.dumps(snap(argv[2:])))
    elif len(argv) == 3 and argv[1] == "rss":
        print(rss_kib(argv[2]))
    elif len(argv) == 3 and argv[1] == "pids":
        print(" ".join(str(p) for p in sorted(tree(argv[2]))))
    elif len(argv) == 3 and argv[1] == "threads":
        print("\n".join(thread_names(argv[2])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
