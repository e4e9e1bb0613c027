#!/usr/bin/env python3
"""L7 benchmark: FiberLB's HTTP and TERMINATED_HTTPS listeners vs HAProxy (mode http) vs nginx (http proxy_pass
with upstream keepalive), side by side in one run, interleaved, on loopback. See bench/http/README.md.

Every proxy gets the same three backends (one nginx of our own answering a small fixed body on three ports), round
robin, HTTP/1.1 keep-alive to the backends, and three front ports: plain HTTP, HTTPS with an ECDSA P-256
certificate, HTTPS with an RSA-2048 certificate (both self-signed, made here with openssl). Tests, per target:

  http     wrk -t2 -c64 keep-alive requests/s, p99, and the proxy's CPU time per request
  https    the same over TLS (ECDSA certificate; handshakes only at connection start)
  hs-ec    full TLS handshakes/s (openssl s_time -new, several clients at once), ECDSA P-256 certificate
  hs-rsa   the same with the RSA-2048 certificate
  rate     latency at a fixed request rate (wrk + bench/dataplane/paced.lua, coordinated omission corrected): p99

Usage: bench/http/run.py [--targets haproxy,nginx,fiberlb] [--duration 10] [--runs 3] [options]   (--help)
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.realpath(os.path.join(HERE, "..", ".."))
DATAPLANE = os.path.join(ROOT, "bench", "dataplane")
sys.path.insert(0, DATAPLANE)
sys.dont_write_bytecode = True
import procstat  # noqa: E402  (bench/dataplane/procstat.py: CPU seconds of a process tree)

TESTS = ["http", "https", "hs-ec", "hs-rsa", "rate"]
STARTED = []  # Popen objects, stopped by PID in reverse order on exit


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


def stop_all(*_):
    for p in reversed(STARTED):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                log(f"process {p.pid} did not stop in 30 s: SIGKILL")
                p.kill()
                p.wait()
    STARTED.clear()


def start(logfile, cmd, env=None):
    p = subprocess.Popen(cmd, stdout=open(logfile, "w"), stderr=subprocess.STDOUT, env=env,
                         start_new_session=False)
    STARTED.append(p)
    return p


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def need_tools(install):
    missing = [c for c in ("wrk", "haproxy", "nginx", "openssl", "java") if shutil.which(c) is None]
    if not missing:
        return
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        die(f"missing: {' '.join(missing)} (run as root to install them with apt-get, or install them)")
    pkgs = [{"java": "default-jdk-headless"}.get(c, c) for c in missing]
    log("apt-get install " + " ".join(pkgs))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Debian starts a service as soon as its package is installed: a policy-rc.d answering 101 stops that.
    made = not os.path.exists("/usr/sbin/policy-rc.d")
    if made:
        with open("/usr/sbin/policy-rc.d", "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod("/usr/sbin/policy-rc.d", 0o755)
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *pkgs], check=True, env=env)
    finally:
        if made:
            os.remove("/usr/sbin/policy-rc.d")


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "-"


# ---- set-up ---------------------------------------------------------------------------------------------------

def make_certs(d):
    """ECDSA P-256 and RSA-2048 self-signed certificates for bench.example: .crt, .key and .pem (both, HAProxy's)."""
    for name, newkey in (("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                         ("rsa", ["-newkey", "rsa:2048"])):
        subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-days", "30", "-subj", "/CN=bench.example",
                        "-addext", "subjectAltName=DNS:bench.example", "-keyout", f"{d}/{name}.key",
                        "-out", f"{d}/{name}.crt"], check=True, capture_output=True)
        with open(f"{d}/{name}.pem", "w") as f:
            f.write(open(f"{d}/{name}.crt").read() + open(f"{d}/{name}.key").read())


NGINX_TEMPS = """
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;"""


def nginx_conf(d, workers, http_body):
    os.makedirs(f"{d}/tmp", exist_ok=True)
    return f"""worker_processes {workers};
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile 20000;
events {{ worker_connections 10000; }}
http {{
  access_log off;
  server_tokens off;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 300s;{NGINX_TEMPS.format(d=d)}
{http_body}
}}
"""


def start_backend(out, ports, workers):
    d = f"{out}/backend"
    os.makedirs(d, exist_ok=True)
    listens = "\n".join(f"    listen 127.0.0.1:{p};" for p in ports)
    conf = nginx_conf(d, workers, f"""  server {{
{listens}
    location / {{ return 200 "fiberlb bench backend $server_port\\n"; }}
  }}""")
    open(f"{d}/nginx.conf", "w").write(conf)
    return start(f"{d}/nginx.log", ["nginx", "-e", "stderr", "-p", d + "/", "-c", f"{d}/nginx.conf"])


def start_haproxy(out, certs, backends, ports, threads):
    d = f"{out}/haproxy"
    os.makedirs(d, exist_ok=True)
    servers = "\n".join(f"  server b{i} 127.0.0.1:{p}" for i, p in enumerate(backends, 1))
    http, ec, rsa = ports
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    maxconn = max(1000, (soft - 200) // 2)  # HAProxy wants 2 fds per connection and refuses a higher maxconn
    cfg = f"""global
  nbthread {threads}
  maxconn {maxconn}
  tune.ssl.default-dh-param 2048

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s

frontend web
  bind 127.0.0.1:{http}
  bind 127.0.0.1:{ec} ssl crt {certs}/ec.pem alpn http/1.1
  bind 127.0.0.1:{rsa} ssl crt {certs}/rsa.pem alpn http/1.1
  default_backend web

backend web
  balance roundrobin
  http-reuse always
{servers}
"""
    open(f"{d}/haproxy.cfg", "w").write(cfg)
    return start(f"{d}/haproxy.log", ["haproxy", "-db", "-f", f"{d}/haproxy.cfg"])


def start_nginx(out, certs, backends, ports, workers):
    d = f"{out}/nginx"
    http, ec, rsa = ports
    def tls_server(port, key):
        return f"""  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {certs}/{key}.crt;
    ssl_certificate_key {certs}/{key}.key;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / {{ proxy_pass http://web; }}
  }}"""

    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in backends)
    body = f"""  upstream web {{
{servers}
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
  }}
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_buffering on;
  server {{ listen 127.0.0.1:{http}; location / {{ proxy_pass http://web; }} }}
{tls_server(ec, "ec")}
{tls_server(rsa, "rsa")}"""
    os.makedirs(d, exist_ok=True)
    open(f"{d}/nginx.conf", "w").write(nginx_conf(d, workers, body))
    return start(f"{d}/nginx.log", ["nginx", "-e", "stderr", "-p", d + "/", "-c", f"{d}/nginx.conf"])


def fiberlb_jar():
    jar = f"{ROOT}/target/fiberlb.jar"
    stale = not os.path.exists(jar) or os.path.getmtime(f"{ROOT}/pom.xml") > os.path.getmtime(jar) or any(
        os.path.getmtime(os.path.join(dp, f)) > os.path.getmtime(jar)
        for dp, _, fs in os.walk(f"{ROOT}/src/main") for f in fs)
    if stale:
        log("building target/fiberlb.jar (mvn -q -B -Dmaven.test.skip=true package)")
        subprocess.run(["mvn", "-q", "-B", "-Dmaven.test.skip=true", "package"], cwd=ROOT, check=True)


class FiberLb:
    """One FiberLB server (netty engine) on a fresh data dir, configured through the CLI as a user would."""

    def __init__(self, out, tls_provider):
        self.dir = f"{out}/fiberlb"
        os.makedirs(self.dir, exist_ok=True)
        self.data = tempfile.mkdtemp(prefix="fiberlb-http-bench-")
        r = os.getpid() % 64
        env = dict(os.environ, FIBERLB_DATAPLANE_ENGINE="netty", FIBERLB_GRPC_PORT="0", FIBERLB_METRICS_PORT="0",
                   FIBERLB_CLUSTER_PORT="0", FIBERLB_DATA_DIR=self.data, FIBERLB_VIP_RANGE=f"127.{128 + r}.7.0/24",
                   FIBERLB_TLS_PROVIDER=tls_provider)
        self.proc = start(f"{self.dir}/server.log", [f"{ROOT}/bin/fiberlb", "server"], env=env)
        self.grpc = None

    def cli(self, *args):
        env = {k: v for k, v in os.environ.items() if k not in ("FIBERLB_DATAPLANE_ENGINE",)}
        env["FIBERLB_JAVA_OPTS"] = os.environ.get("FIBERLB_CLI_JAVA_OPTS", "")
        cmd = [f"{ROOT}/bin/fiberlb", "--server", f"127.0.0.1:{self.grpc}", "--json", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        with open(f"{self.dir}/setup.log", "a") as f:
            f.write("$ fiberlb " + " ".join(args) + "\n" + r.stdout + r.stderr)
        if r.returncode != 0:
            raise RuntimeError(f"fiberlb {' '.join(args[:2])} failed: {r.stderr.strip()[-300:]}")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def configure(self, certs, backends, ports):
        port_file = f"{self.data}/grpc.port"
        deadline = time.monotonic() + 120
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited at start (see {self.dir}/server.log)")
            if time.monotonic() > deadline:
                raise RuntimeError("no gRPC port after 120 s")
            time.sleep(0.1)
        self.grpc = open(port_file).read().strip()
        lb = self.cli("lb", "create", "--name", "bench-http")
        vip, lb = lb["vip_address"], lb["id"]
        ec = self.cli("certificate", "create", "--name", "bench-ec", "--certificate-file", f"{certs}/ec.crt",
                      "--private-key-file", f"{certs}/ec.key")["id"]
        rsa = self.cli("certificate", "create", "--name", "bench-rsa", "--certificate-file", f"{certs}/rsa.crt",
                       "--private-key-file", f"{certs}/rsa.key")["id"]
        for (name, extra), port in zip((("web", ["--protocol", "HTTP"]),
                                        ("web-ec", ["--protocol", "TERMINATED_HTTPS", "--default-tls-container-ref", ec,
                                                    "--alpn-protocols", "http/1.1"]),
                                        ("web-rsa", ["--protocol", "TERMINATED_HTTPS", "--default-tls-container-ref",
                                                     rsa, "--alpn-protocols", "http/1.1"])), ports):
            pool = self.cli("pool", "create", "--lb", lb, "--name", name, "--protocol", "HTTP",
                            "--lb-algorithm", "ROUND_ROBIN")["id"]
            for i, b in enumerate(backends, 1):
                self.cli("backend", "create", "--lb", lb, "--pool", pool, "--name", f"{name}-b{i}", "--address", "127.0.0.1",
                         "--protocol-port", str(b))
            self.cli("listener", "create", "--lb", lb, "--name", name, "--protocol-port", str(port),
                     "--default-pool-id", pool, "--timeout-client-idle", "5m", "--timeout-backend-idle", "5m", *extra)
        return vip


# ---- probes and load --------------------------------------------------------------------------------------------

def probe(url, deadline_s, proc=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return f"exited ({proc.returncode})"
        try:
            with urllib.request.urlopen(url, timeout=2, context=ctx) as r:
                if r.status == 200 and r.read().startswith(b"fiberlb bench backend"):
                    return None
        except Exception as e:  # noqa: BLE001 (any failure: try again until the deadline)
            last = e
        time.sleep(0.3)
    return f"no 200 from {url} in {deadline_s} s: {last}"


def wrk_numbers(text):
    out = {}
    m = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    out["per_s"] = float(m.group(1)) if m else None
    m = re.search(r"^\s+(\d+) requests in", text, re.M)
    out["count"] = int(m.group(1)) if m else None
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if m:
        out["p99_ms"] = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    errs = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errs += sum(int(x) for x in m.groups())
    out["errors"] = errs
    m = re.search(r"^PACED (\{.*\})$", text, re.M)
    if m:
        paced = json.loads(m.group(1))
        out["p99_ms"] = paced["p99_ms"]
        out["errors"] += paced["errors"]
    return out


def s_time(host, port, seconds, clients, base):
    """`clients` openssl s_time -new at once for `seconds`: full handshakes per second, all clients together."""
    procs = []
    for i in range(clients):
        f = open(f"{base}.c{i}", "w")
        procs.append(subprocess.Popen(["openssl", "s_time", "-connect", f"{host}:{port}", "-new",
                                       "-time", str(seconds)], stdout=f, stderr=subprocess.STDOUT))
    total, errors = 0, 0
    for i, p in enumerate(procs):
        try:
            p.wait(seconds + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        text = open(f"{base}.c{i}").read()
        m = re.search(r"(\d+) connections in (\d+) real seconds", text)
        if m:
            total += int(m.group(1))
        else:
            errors += 1
    return {"per_s": total / seconds, "count": total, "errors": errors}


def run_test(test, t, addr, args, base):
    host, ports = addr
    before = procstat.cpu_seconds(t.pid)
    busy0 = procstat.machine_busy_seconds()
    wall0 = time.monotonic()
    d = args.duration
    if test == "http":
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{d}s", "--latency",
                              f"http://{host}:{ports[0]}/"], capture_output=True, text=True).stdout
        r = wrk_numbers(out)
    elif test == "https":
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{d}s", "--latency",
                              f"https://{host}:{ports[1]}/"], capture_output=True, text=True).stdout
        r = wrk_numbers(out)
    elif test in ("hs-ec", "hs-rsa"):
        out = ""
        r = s_time(host, ports[1 if test == "hs-ec" else 2], args.handshake_duration, args.handshake_clients, base)
    else:  # rate
        per_conn = args.rate / args.rate_connections
        out = subprocess.run(["wrk", f"-t{args.rate_connections}", f"-c{args.rate_connections}",
                              f"-d{args.rate_duration}s", "--latency", "-s", f"{DATAPLANE}/paced.lua",
                              f"http://{host}:{ports[0]}/", "--", str(per_conn), str(args.rate_connections)],
                             capture_output=True, text=True).stdout
        r = wrk_numbers(out)
    r["proxy_cpu_s"] = procstat.cpu_seconds(t.pid) - before
    r["machine_busy_s"] = procstat.machine_busy_seconds() - busy0
    r["wall_s"] = time.monotonic() - wall0
    if r.get("count"):
        r["cpu_us_per_op"] = r["proxy_cpu_s"] / r["count"] * 1e6
    open(base + ".out", "w").write(out + "\n" + json.dumps(r) + "\n")
    return r


# ---- summary ----------------------------------------------------------------------------------------------------

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(results, targets, tests):
    rows = []
    head = "| test | metric | " + " | ".join(targets) + " | " + " | ".join(
        f"{t}/haproxy" for t in targets if t != "haproxy") + " |"
    rows.append(head)
    rows.append("|" + "---|" * (2 + len(targets) + len([t for t in targets if t != "haproxy"])))
    metrics = {"http": [("per_s", "req/s"), ("cpu_us_per_op", "CPU µs/req"), ("p99_ms", "p99 ms")],
               "https": [("per_s", "req/s"), ("cpu_us_per_op", "CPU µs/req"), ("p99_ms", "p99 ms")],
               "hs-ec": [("per_s", "handshakes/s"), ("cpu_us_per_op", "CPU µs/handshake")],
               "hs-rsa": [("per_s", "handshakes/s"), ("cpu_us_per_op", "CPU µs/handshake")],
               "rate": [("p99_ms", "p99 ms at fixed rate")]}
    summary = {}
    for test in tests:
        for key, label in metrics[test]:
            med = {t: median([r.get(key) for r in results.get((test, t), [])]) for t in targets}
            summary[f"{test}.{key}"] = med
            cells = [f"{med[t]:.1f}" if med[t] is not None else "-" for t in targets]
            ratios = []
            for t in targets:
                if t == "haproxy":
                    continue
                h = med.get("haproxy")
                ratios.append(f"{med[t] / h:.2f}x" if med[t] is not None and h else "-")
            rows.append(f"| {test} | {label} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
        errs = {t: sum(r.get("errors") or 0 for r in results.get((test, t), [])) for t in targets}
        if any(errs.values()):
            rows.append(f"| {test} | errors (all runs) | " + " | ".join(str(errs[t]) for t in targets) + " |")
    return "\n".join(rows), summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default="haproxy,nginx,fiberlb", help="any of haproxy,nginx,fiberlb")
    ap.add_argument("--tests", default=",".join(TESTS), help="any of " + ",".join(TESTS))
    ap.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default 10)")
    ap.add_argument("--runs", type=int, default=3, help="measured runs; medians are reported (default 3)")
    ap.add_argument("--warmup", type=int, default=5, help="seconds of unrecorded load per target first (default 5)")
    ap.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    ap.add_argument("--handshake-duration", type=int, default=5, help="seconds of each s_time run (default 5)")
    ap.add_argument("--handshake-clients", type=int, default=4, help="openssl s_time clients at once (default 4)")
    ap.add_argument("--rate", type=int, default=5000, help="requests/s of the fixed-rate test (default 5000)")
    ap.add_argument("--rate-duration", type=int, default=5, help="its length in seconds (default 5)")
    ap.add_argument("--rate-connections", type=int, default=16, help="its connections (default 16)")
    ap.add_argument("--workers", type=int, default=2, help="HAProxy nbthread, nginx worker_processes (default 2)")
    ap.add_argument("--backend-workers", type=int, default=1, help="backend nginx workers (default 1)")
    ap.add_argument("--fiberlb-tls-provider", default=os.environ.get("FIBERLB_TLS_PROVIDER", "auto"),
                    help="FiberLB's fiberlb.dataplane.tls-provider: auto, openssl or jdk (default auto)")
    ap.add_argument("--no-install", action="store_true", help="never run apt-get")
    ap.add_argument("--out", help="results directory (default bench/results/http-<timestamp>)")
    args = ap.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    tests = [t for t in args.tests.split(",") if t]
    for t in targets:
        if t not in ("haproxy", "nginx", "fiberlb"):
            die(f"unknown target {t!r} (haproxy, nginx, fiberlb)")
    for t in tests:
        if t not in TESTS:
            die(f"unknown test {t!r} ({', '.join(TESTS)})")
    need_tools(not args.no_install)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    out = os.path.realpath(args.out or f"{ROOT}/bench/results/http-{time.strftime('%Y%m%d-%H%M%S')}")
    raw = f"{out}/raw"
    os.makedirs(raw, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    fl = None
    try:
        certs = f"{out}/certs"
        os.makedirs(certs, exist_ok=True)
        make_certs(certs)
        ports = free_ports(12)
        backends, rest = ports[:3], ports[3:]
        machine = [
            f"host: {os.uname().sysname} {os.uname().release}, {os.cpu_count()} CPUs",
            f"load average at start: {open('/proc/loadavg').read().split()[:3]}",
            f"haproxy: {version(['haproxy', '-v'])}", f"nginx: {version(['nginx', '-v'])}",
            f"wrk: {version(['wrk', '-v'])}", f"openssl: {version(['openssl', 'version'])}",
            f"java: {version(['java', '-version'])}",
            f"git: {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}",
            f"args: {vars(args)}"]
        open(f"{out}/machine.txt", "w").write("\n".join(machine) + "\n")
        for line in machine:
            log(line)
        backend = start_backend(out, backends, args.backend_workers)
        err = probe(f"http://127.0.0.1:{backends[0]}/", 15, backend)
        if err:
            die("backend nginx: " + err)
        procs, addrs = {}, {}
        if "haproxy" in targets:
            procs["haproxy"] = start_haproxy(out, certs, backends, rest[0:3], args.workers)
            addrs["haproxy"] = ("127.0.0.1", rest[0:3])
        if "nginx" in targets:
            procs["nginx"] = start_nginx(out, certs, backends, rest[3:6], args.workers)
            addrs["nginx"] = ("127.0.0.1", rest[3:6])
        if "fiberlb" in targets:
            fiberlb_jar()
            fl = FiberLb(out, args.fiberlb_tls_provider)
            procs["fiberlb"] = fl.proc
            try:
                addrs["fiberlb"] = (fl.configure(certs, backends, rest[6:9]), rest[6:9])
            except RuntimeError as e:
                die(f"fiberlb: {e}")
        for t in targets:
            host, (h, ec, rsa) = addrs[t]
            for url in (f"http://{host}:{h}/", f"https://{host}:{ec}/", f"https://{host}:{rsa}/"):
                err = probe(url, 60 if t == "fiberlb" else 15, procs[t])
                if err:
                    die(f"{t}: {err}")
            log(f"{t}: answers on {host}:{h} (http), :{ec} (https ECDSA), :{rsa} (https RSA)")
        if fl:
            m = re.findall(r"(data plane engine: \S+|TLS provider[^\n]*)", open(f"{fl.dir}/server.log").read())
            log("fiberlb: " + "; ".join(dict.fromkeys(m)))
        if args.warmup:
            for t in targets:
                log(f"warm-up: {t}")
                w = argparse.Namespace(**{**vars(args), "duration": args.warmup,
                                          "handshake_duration": max(1, args.warmup // 2)})
                for test in ("http", "https", "hs-ec"):
                    if test in tests:
                        run_test(test, procs[t], addrs[t], w, f"{raw}/warmup.{test}.{t}")
        results = {}
        for run in range(1, args.runs + 1):
            for test in tests:
                order = targets[(run - 1) % len(targets):] + targets[:(run - 1) % len(targets)]
                for t in order:
                    log(f"run {run}/{args.runs}: {test} {t}")
                    r = run_test(test, procs[t], addrs[t], args, f"{raw}/r{run}.{test}.{t}")
                    results.setdefault((test, t), []).append(r)
                    log(f"  {json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()})}")
                    time.sleep(1)
        table, summary = summarize(results, targets, tests)
        open(f"{out}/summary.md", "w").write(table + "\n")
        json.dump({"summary": summary, "runs": {f"{k[0]}.{k[1]}": v for k, v in results.items()}},
                  open(f"{out}/summary.json", "w"), indent=1)
        log(f"results in {out}")
        print(table)
    finally:
        stop_all()
        if fl:
            shutil.rmtree(fl.data, ignore_errors=True)


if __name__ == "__main__":
    main()
