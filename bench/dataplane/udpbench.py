#!/usr/bin/env python3
"""UDP echo server and load generator for bench/dataplane/run.sh --udp.

    udpbench.py echo --host 127.0.0.1 --port P
        answers every datagram with the same bytes, to the address it came from (one thread, blocking recvfrom/sendto).
    udpbench.py probe --host H --port P [--timeout 10]
        sends one datagram every 0.2 s until one comes back; exit 0 and prints the round trip, or 1 after --timeout.
    udpbench.py blast --host H --port P [--seconds 10] [--flows 8] [--window 8] [--size 64]
        --flows connected UDP sockets (a flow each: its own source port), each keeping --window datagrams in flight:
        every reply is answered with a new datagram at once (a closed loop, like wrk's connections). A flow that gets
        no reply for 200 ms counts its datagrams in flight as lost and sends a fresh window. Prints one JSON object:
        {"sent", "received", "lost", "seconds", "rate" (replies/s), "rtt_p50_us", "rtt_p99_us", "rtt_max_us",
         "flows", "window", "size", "stalls"}
        Every datagram carries its send time; the round trip is measured on each reply.
"""
import argparse
import json
import selectors
import socket
import struct
import sys
import time

STAMP = struct.Struct("!d")


def echo(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((args.host, args.port))
    recvfrom, sendto = s.recvfrom, s.sendto
    while True:
        data, addr = recvfrom(65535)
        try:
            sendto(data, addr)
        except OSError:
            pass  # a full send buffer: the datagram is lost, as UDP may


def probe(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((args.host, args.port))
    s.settimeout(0.2)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            s.send(b"fiberlb-udp-probe")
            if s.recv(2048) == b"fiberlb-udp-probe":
                print(f"{(time.monotonic() - t0) * 1e3:.2f} ms")
                return 0
        except socket.timeout:
            continue
        except OSError:  # ICMP port unreachable comes back as ECONNREFUSED on a connected socket
            time.sleep(0.2)
    print(f"no reply from {args.host}:{args.port} within {args.timeout:g} s")
    return 1


def blast(args):
    pad = b"x" * max(0, args.size - STAMP.size)
    sel = selectors.DefaultSelector()
    flows = []
    for _ in range(args.flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect((args.host, args.port))
        s.setblocking(False)
        flow = {"sock": s, "inflight": 0, "last": time.monotonic()}
        sel.register(s, selectors.EVENT_READ, flow)
        flows.append(flow)
    sent = received = lost = stalls = 0
    rtts = []
    clock = time.monotonic
    pack = STAMP.pack
    unpack_from = STAMP.unpack_from

    def send(flow, n):
        nonlocal sent
        s = flow["sock"]
        for _ in range(n):
            try:
                s.send(pack(clock()) + pad)
            except (BlockingIOError, ConnectionRefusedError):
                break
            sent += 1
            flow["inflight"] += 1

    t_start = clock()
    for flow in flows:
        send(flow, args.window)
        flow["last"] = clock()
    end = t_start + args.seconds
    while True:
        now = clock()
        if now >= end:
            break
        for key, _ in sel.select(timeout=0.05):
            flow = key.data
            s = flow["sock"]
            got = 0
            while True:
                try:
                    data = s.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                got += 1
                t = clock()
                if len(data) >= STAMP.size:
                    rtts.append(t - unpack_from(data)[0])
            if got:
                received += got
                flow["inflight"] = max(0, flow["inflight"] - got)
                flow["last"] = clock()
                send(flow, got)
        now = clock()
        for flow in flows:
            if now - flow["last"] > 0.2:  # nothing came back for 200 ms: what is in flight is lost
                lost += flow["inflight"]
                flow["inflight"] = 0
                stalls += 1
                send(flow, args.window)
                flow["last"] = now
    seconds = clock() - t_start
    rtts.sort()

    def pct(p):
        return round(rtts[min(len(rtts) - 1, int(p / 100 * len(rtts)))] * 1e6, 1) if rtts else None

    print(json.dumps({
        "sent": sent, "received": received, "lost": lost, "seconds": round(seconds, 3),
        "rate": received / seconds if seconds else None,
        "rtt_p50_us": pct(50), "rtt_p99_us": pct(99), "rtt_max_us": pct(100),
        "flows": args.flows, "window": args.window, "size": args.size, "stalls": stalls,
    }))
    return 0 if received else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["echo", "probe", "blast"])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--flows", type=int, default=8)
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    return {"echo": echo, "probe": probe, "blast": blast}[args.mode](args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
