#!/usr/bin/env bash
# Checks what operators deploy next to Breakwater, against the packaged jar, offline:
#   1. config/prometheus: `promtool check config` (which loads alerts.yml too), `promtool check rules` and
#      `promtool test rules` (alerts.test.yml: each alert fires on the series it should, and not before its `for`)
#   2. a real scrape: the jar (a private copy of target/breakwater.jar) in front of bin/mock-openai, with traffic
#      that makes the labelled series exist (plain and streamed chat completions with a `usage` body, 429s with
#      Retry-After, 500s until the attempts run out, a forced-open breaker, a reload, fleet mode with Redis down);
#      /metrics read from the metrics-only listener without the admin token, while the admin listener's /metrics
#      still answers 401 without it
#   3. `promtool check metrics` on that scrape: no problem may name one of Breakwater's own series (breakwater_*);
#      problems with the libraries' series (jvm_*, resilience4j_*, ...) are listed, not failed on
#   4. every metric name in config/grafana/breakwater.json's and alerts.yml's expressions is in the scrape (or in
#      deploy/check/promql-names.mjs's short allowlist, each entry with its reason), and every dashboard panel has
#      a datasource and targets
#   5. every manifest in deploy/kubernetes validates against the Kubernetes (and Prometheus Operator) schemas
#
#   bash deploy/check.sh
#
# Needs Java 17+, curl, Node.js 18+ with npm (deploy/check's packages are installed with npm ci on first use) and
# promtool (Debian's prometheus package). target/breakwater.jar must exist (mvn -B verify, or mvn -B package); it
# is never built here. All ports are chosen by the OS. Exit 1 when a check fails, 2 on a setup error. Output in
# CHECK_OUT (default a new /tmp/breakwater-deploy-check.XXXXXX).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
LOG_TAG=deploy-check
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
for tool in java curl node npm promtool; do command -v "$tool" >/dev/null || die "$tool not found"; done
JAR="$ROOT/target/breakwater.jar"
[[ -f $JAR ]] || die "target/breakwater.jar is missing: build it first (mvn -B package -DskipTests, or mvn -B verify)"
OUT=${CHECK_OUT:-$(mktemp -d /tmp/breakwater-deploy-check.XXXXXX)}
mkdir -p "$OUT"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_started 50
    rm -f "$OUT/breakwater.jar"
    log "output in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILED=0

# ------------------------------------------------------------------------------------------------ Prometheus files
check "promtool check config config/prometheus/prometheus.yml (with its rule files)" \
    promtool check config config/prometheus/prometheus.yml
check "promtool check rules config/prometheus/alerts.yml" promtool check rules config/prometheus/alerts.yml
check "promtool test rules config/prometheus/alerts.test.yml" promtool test rules config/prometheus/alerts.test.yml

# ------------------------------------------------------------------------------------------------ Node packages
if [[ ! -d deploy/check/node_modules/yaml || deploy/check/package-lock.json -nt deploy/check/node_modules ]]; then
    log "installing deploy/check's packages (npm ci)"
    (cd deploy/check && npm ci --no-audit --no-fund --silent) || die "npm ci in deploy/check failed"
fi

# ------------------------------------------------------------------------------------------------ Kubernetes
check "deploy/kubernetes/*.yaml validate against the Kubernetes schemas" \
    node deploy/check/k8s-validate.mjs deploy/kubernetes/*.yaml

# ------------------------------------------------------------------------------------------------ a real scrape
cp "$JAR" "$OUT/breakwater.jar" # a private copy: a rebuild during the run cannot change the jar under the JVM

# The Breakwater configurations the deployments ship, as the jar reads them (--check: no listener is opened).
(cd deploy/check && node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "yaml";
    process.stdout.write(parse(readFileSync(process.argv[1], "utf8")).data["breakwater.yaml"]);' \
    "$ROOT/deploy/kubernetes/configmap.yaml") >"$OUT/configmap-breakwater.yaml"
bw_check() {
    env BREAKWATER_ADMIN_TOKEN=check REDIS_URL=redis://127.0.0.1:6379 BREAKWATER_JAR="$OUT/breakwater.jar" \
        bin/breakwater --check --config "$1" >"$OUT/check-$(basename "$1").out" 2>&1 \
        || { cat "$OUT/check-$(basename "$1").out" >&2; return 1; }
}
for config in "$OUT/configmap-breakwater.yaml" config/compose/breakwater.yaml config/breakwater.container.yaml; do
    check "bin/breakwater --check --config ${config#"$OUT"/}" bw_check "$config"
done
bin/mock-openai --port 0 >"$OUT/mock.log" 2>&1 &
PIDS+=($!)
MOCK_PORT=
for _ in $(seq 1 100); do
    MOCK_PORT=$(sed -nE 's|^mock-openai: listening on http://[^:]+:([0-9]+).*|\1|p' "$OUT/mock.log")
    [[ -n $MOCK_PORT ]] && break
    sleep 0.1
done
[[ -n $MOCK_PORT ]] || { cat "$OUT/mock.log" >&2; die "bin/mock-openai did not start"; }

TOKEN=deploy-check-token
# Fleet mode on a Redis that is not there (port 1 refuses at once): the fleet series exist, degraded = 1.
cat >"$OUT/breakwater.yaml" <<EOF
listen: 127.0.0.1:0
admin: 127.0.0.1:0
admin-token: $TOKEN
metrics: {listen: 127.0.0.1:0}
logging: {format: text}
fleet: {redis: "redis://127.0.0.1:1", timeout: 100ms}
routes:
  - name: openai
    path-prefix: /v1/
    upstream: http://127.0.0.1:$MOCK_PORT
    provider: openai
    retry: {retry-methods: [GET, POST], max-attempts: 3, wait-duration: 10ms}
EOF
BREAKWATER_JAR="$OUT/breakwater.jar" JAVA_OPTS="-Xmx256m" bin/breakwater --config "$OUT/breakwater.yaml" \
    >"$OUT/breakwater.log" 2>&1 &
BW_PID=$!
PIDS+=("$BW_PID")
LISTENING=
for _ in $(seq 1 300); do
    LISTENING=$(grep -m1 -o 'Breakwater listening on .*' "$OUT/breakwater.log" || true)
    [[ -n $LISTENING ]] && break
    kill -0 "$BW_PID" 2>/dev/null || break
    sleep 0.1
done
[[ -n $LISTENING ]] || { tail -n 30 "$OUT/breakwater.log" >&2; die "Breakwater did not start"; }
# "Breakwater listening on 127.0.0.1:P (admin 127.0.0.1:A, metrics 127.0.0.1:M), ..."
read -r PROXY_PORT ADMIN_PORT METRICS_PORT < <(sed -E \
    's/^Breakwater listening on [^ ]+:([0-9]+) \(admin [^ ]+:([0-9]+), metrics [^ ]+:([0-9]+)\).*/\1 \2 \3/' \
    <<<"$LISTENING")
[[ $METRICS_PORT =~ ^[0-9]+$ ]] || die "cannot read the ports from: $LISTENING"
log "Breakwater on $PROXY_PORT (admin $ADMIN_PORT, metrics $METRICS_PORT), mock on $MOCK_PORT"

PROXY=http://127.0.0.1:$PROXY_PORT
ADMIN=http://127.0.0.1:$ADMIN_PORT
chat() { # status_file_suffix, extra curl args...
    local name=$1
    shift
    curl -s --max-time 30 -o "$OUT/$name.body" -w '%{http_code}' "$PROXY/v1/chat/completions" \
        -H 'content-type: application/json' "$@"
}
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
STREAM='{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}'

check "traffic: plain chat completions answer 200" \
    test "$(chat plain1 -d "$CHAT")$(chat plain2 -d "$CHAT")" = 200200
check "traffic: a stream answers 200" test "$(chat stream -N -d "$STREAM")" = 200
check "traffic: two 429s with Retry-After: 1, then 200" test "$(chat ratelimited -H 'x-mock-fail: 2' -d "$CHAT")" = 200
# A 429 with Retry-After: 1 closes the rate-limit gate of its key; a request sent meanwhile is held there.
chat gate-closer -H 'x-mock-fail: 1' -d "$CHAT" >"$OUT/gate-closer.status" &
GATE_CLOSER=$!
for _ in $(seq 1 100); do # until the mock has answered its 429 (the gate then stays closed for 1 s)
    grep -q 'attempt 1 of 1 fails' "$OUT/mock.log" && break
    sleep 0.1
done
sleep 0.1
check "traffic: a request held at the closed gate, then 200" test "$(chat held -d "$CHAT")" = 200
wait "$GATE_CLOSER" || true
check "traffic: the request that closed the gate, 200 after its 429" test "$(cat "$OUT/gate-closer.status")" = 200
check "traffic: 500 until the attempts run out" \
    test "$(chat failing -H 'x-mock-fail: 9' -H 'x-mock-fail-status: 500' -d "$CHAT")" = 500
admin_post() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "authorization: Bearer $TOKEN" "$ADMIN$1"; }
check "traffic: the breaker opened by the admin API" test "$(admin_post /admin/routes/openai/circuit-breaker/open)" = 200
check "traffic: circuit_open while it is open" test "$(chat refused -d "$CHAT")" = 503
check "traffic: the breaker closed again" test "$(admin_post /admin/routes/openai/circuit-breaker/close)" = 200
check "traffic: a reload" test "$(admin_post /admin/reload)" = 200

SCRAPE="$OUT/metrics.txt"
check "the metrics listener serves /metrics without the token" \
    test "$(curl -s --max-time 10 -o "$SCRAPE" -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/metrics")" = 200
check "the metrics listener serves nothing else (404 for /admin/routes)" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/admin/routes")" = 404
check "the admin listener's /metrics still needs the token" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN/metrics")" = 401
log "scrape: $(grep -vc '^#' "$SCRAPE") samples, $(grep -c '^# TYPE' "$SCRAPE") families"

# ------------------------------------------------------------------------------------------------ promtool metrics
# promtool check metrics exits 1 on any problem, the libraries' included; only Breakwater's own must be clean.
promtool check metrics <"$SCRAPE" >"$OUT/promtool-metrics.txt" 2>&1 || true
own_problems() { ! grep -E '^breakwater_' "$OUT/promtool-metrics.txt"; }
check "promtool check metrics: no problem with breakwater_* series" own_problems
if grep -qvE '^breakwater_' "$OUT/promtool-metrics.txt"; then
    log "promtool check metrics, other libraries' series (not failed on):"
    grep -vE '^breakwater_' "$OUT/promtool-metrics.txt" | sed 's/^/    /' >&2
fi

# ------------------------------------------------------------------------------------------------ names in PromQL
check "config/grafana/breakwater.json and alerts.yml use only metrics in the scrape" \
    node deploy/check/promql-names.mjs --rules-out "$OUT/dashboard-rules.yml" \
    "$SCRAPE" config/grafana/breakwater.json config/prometheus/alerts.yml
check "config/grafana/breakwater.json's expressions parse (promtool check rules)" \
    promtool check rules "$OUT/dashboard-rules.yml"

kill -TERM "$BW_PID"
rc=0
wait "$BW_PID" || rc=$?
check "SIGTERM: Breakwater exited 0 (exit $rc)" test "$rc" = 0

if ((FAILED)); then log "FAILED: see $OUT"; exit 1; fi
log "all checks passed"
