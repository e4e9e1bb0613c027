#!/usr/bin/env bash
# The cost of TLS and authentication on the API (issue 10): Get and Create throughput and p99 against servers that
# differ only in transport and authentication, all running at once and measured in turn (interleaved, the order
# rotating per run), with the plaintext local mode as the baseline. See bench/README.md.
#
# Usage: bench/auth-cost.sh [GETS [CREATES [CONNECTS]]]   (defaults 20000 1000 200 per run and mode)
#
# Modes (MODES, in this order; the first is the baseline of the ratios):
#   plain          the default: plaintext HTTP/2, local mode (x-fiberlb-org/-project headers)
#   tls            TLS, still local mode (header identities): the cost of TLS alone
#   tls-token      TLS + an API token (FIBERLB_AUTH_TOKENS_FILE): SHA-256 of the token and a map lookup per call
#   tls-jwt        TLS + one JWT reused on every call (FIBERLB_AUTH_JWKS/_ISSUER/_AUDIENCE): the server's
#                  verification cache answers after the first call; the goal is Get within 10% of plain
#   tls-jwt-fresh  TLS + a new JWT on every call (signed by the generator before each phase): the full parse and
#                  signature check every time, i.e. what the cache saves (the server has no knob to turn it off)
#
# Environment:
#   MODES="plain tls tls-token tls-jwt tls-jwt-fresh"
#   CONCURRENCY=64 CONNECTIONS=2 LBS=50 RUNS=3 WARMUP_RUNS=3 (on 2 cores the servers JIT-compile for minutes)
#   CLIENT=grpc-java   grpc-java (lighter, leaves more CPU to the server) or pekko (pekko-grpc's clients, as the CLI)
#   PHASES=get-lb,backend-create,connect
#   FRESH_GETS=10000   tls-jwt-fresh does at most this many Gets per run (each token is signed beforehand, ~1 ms)
#   JWT_ALG=RS256      RS256 (RSA 2048) or ES256 (P-256) for the JWT signing key
#   CERT_KEY=rsa       rsa (RSA 2048) or ec (P-256) for the server certificate's key
#   JAR=path           benchmark this jar (copied into the results directory) instead of building target/fiberlb.jar
#   SERVER_JAVA_OPTS   default: the options bin/fiberlb gives a server (common pool parallelism 2, dispatchers >= 2)
#   plus BUILD, BENCH_JAVA_OPTS, PROFILE (see bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GETS="${1:-20000}"
CREATES="${2:-1000}"
CONNECTS="${3:-200}"
MODES="${MODES:-plain tls tls-token tls-jwt tls-jwt-fresh}"
CONCURRENCY="${CONCURRENCY:-64}"
CONNECTIONS="${CONNECTIONS:-2}"
LBS="${LBS:-50}"
RUNS="${RUNS:-3}"
WARMUP_RUNS="${WARMUP_RUNS:-3}"
CLIENT="${CLIENT:-grpc-java}"
PHASES="${PHASES:-get-lb,backend-create,connect}"
FRESH_GETS="${FRESH_GETS:-10000}"
JWT_ALG="${JWT_ALG:-RS256}"
CERT_KEY="${CERT_KEY:-rsa}"
# What bin/fiberlb gives `fiberlb server` (see bin/fiberlb), so that the shipped configuration is measured.
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS-"-Djava.util.concurrent.ForkJoinPool.common.parallelism=2 \
-Dpekko.actor.default-dispatcher.fork-join-executor.parallelism-min=2 \
-Dpekko.actor.internal-dispatcher.fork-join-executor.parallelism-min=2"}"
export SERVER_JAVA_OPTS

OUT="$(new_results_dir auth-cost)"
WORK="$OUT"
TMP_DATA="$(mktemp -d /tmp/fiberlb-auth-bench-XXXXXX)"
SERVER_PIDS=()

cleanup_all() {
  stop_generator
  local p
  for p in "${SERVER_PIDS[@]}"; do SERVER_PID="$p"; stop_server; done
  if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$TMP_DATA"; fi
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

if [ -n "${JAR:-}" ]; then
  cp "$JAR" "$WORK/fiberlb.jar"
  mkdir -p "$WORK/bench-classes"
  javac --release 17 -nowarn -d "$WORK/bench-classes" -cp "$WORK/fiberlb.jar" \
    "$bench_root"/src/test/java/io/fiberlb/bench/*.java
  echo "jar $JAR; HEAD of $bench_root: $(cd "$bench_root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    > "$WORK/git-rev"
else
  build_all "$WORK"
fi

# ---------------------------------------------------------------- credentials
CREDS="$OUT/creds"
mkdir -p "$CREDS"
command -v openssl >/dev/null || { log "openssl is needed to make the test CA and server certificate"; exit 1; }
case "$CERT_KEY" in
  rsa) newkey=(-newkey rsa:2048) ;;
  ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
  *) log "CERT_KEY: rsa or ec"; exit 1 ;;
esac
(
  cd "$CREDS"
  openssl req -x509 "${newkey[@]}" -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=FiberLB bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req "${newkey[@]}" -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
    -extfile server.ext 2>/dev/null
)
gen "$OUT/keys.log" AuthBench keys --dir "$CREDS" --alg "$JWT_ALG"

{
  machine_info
  echo "sizes: gets=$GETS (tls-jwt-fresh at most $FRESH_GETS) creates=$CREATES connects=$CONNECTS runs=$RUNS warmup_runs=$WARMUP_RUNS lbs=$LBS concurrency=$CONCURRENCY connections=$CONNECTIONS client=$CLIENT phases=$PHASES"
  echo "modes: $MODES; server certificate key: $CERT_KEY; JWT: $JWT_ALG; $(openssl version)"
  echo "git: $(tr '\n' ' ' < "$WORK/git-rev")"
} | tee "$OUT/machine.txt"

# Quotas off and a /16 of VIPs, so that the benchmark measures speed, not limits.
base_env=(FIBERLB_VIP_RANGE=127.16.0.0/16 FIBERLB_QUOTA_LOAD_BALANCERS=-1 FIBERLB_QUOTA_LISTENERS=-1
  FIBERLB_QUOTA_POOLS=-1 FIBERLB_QUOTA_BACKENDS=-1 FIBERLB_QUOTA_HEALTH_CHECKS=-1)
tls_env=(FIBERLB_TLS_CERT="$CREDS/server.pem" FIBERLB_TLS_KEY="$CREDS/server.key")
jwt_env=(FIBERLB_AUTH_JWKS="$CREDS/jwks.json" FIBERLB_AUTH_ISSUER="https://id.bench.example/realms/fiberlb"
  FIBERLB_AUTH_AUDIENCE=fiberlb)

targets=()
for m in $MODES; do
  case "$m" in
    plain) env_m=(); auth=none ;;
    tls) env_m=("${tls_env[@]}"); auth=none ;;
    tls-token) env_m=("${tls_env[@]}" FIBERLB_AUTH_TOKENS_FILE="$CREDS/tokens"); auth=token ;;
    tls-jwt) env_m=("${tls_env[@]}" "${jwt_env[@]}"); auth=jwt ;;
    tls-jwt-fresh) env_m=("${tls_env[@]}" "${jwt_env[@]}"); auth=jwt-fresh ;;
    *) log "unknown mode $m (plain tls tls-token tls-jwt tls-jwt-fresh)"; exit 1 ;;
  esac
  log "mode $m: starting a server on a fresh data dir $TMP_DATA/$m"
  start_server "$TMP_DATA/$m" "$OUT/server-$m.log" "${base_env[@]}" "${env_m[@]}"
  SERVER_PIDS+=("$SERVER_PID")
  log "mode $m: server pid $SERVER_PID on port $SERVER_PORT"
  targets+=("$m@$SERVER_PORT@$SERVER_PID@$auth")
  SERVER_PID=""
done

targets_arg="$(IFS=,; echo "${targets[*]}")"
rc=0
gen "$OUT/bench.log" AuthBench run --dir "$CREDS" --ca "$CREDS/ca.pem" --targets "$targets_arg" \
  --gets "$GETS" --creates "$CREATES" --connects "$CONNECTS" --concurrency "$CONCURRENCY" \
  --connections "$CONNECTIONS" --lbs "$LBS" --runs "$RUNS" --warmup-runs "$WARMUP_RUNS" --client "$CLIENT" \
  --fresh-gets "$FRESH_GETS" --phases "$PHASES" --out "$OUT/results.tsv" || rc=$?
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"

echo
echo "== summary ($OUT) =="
{
  cat "$OUT/machine.txt"
  echo
  grep '^setup ' "$OUT/bench.log" || true
  echo
  sed -n '/^Medians of/,$p' "$OUT/bench.log"
} | tee "$OUT/summary.md"
exit $rc
