#!/usr/bin/env bash
# Pacing bench: Breakwater in front of an upstream that ENFORCES a rate limit (bin/limited-upstream, 20 requests
# per 2 s per key and model), under closed-loop load (bench/PaceLoad.java). Prints a markdown table for
# BENCHMARKS.md on stdout; progress goes to stderr. All traffic on 127.0.0.1 (free ports chosen at start);
# everything started here is stopped on exit; every client run is bounded in time. Never builds.
#
#   bash bench/pacing.sh                   (the jar: $BREAKWATER_JAR, else target/breakwater.jar)
#   PACING_ONLY="b d" bash bench/pacing.sh (a subset)
#
# Scenarios (200 requests each; ideal time = requests / (limit / window) = 20 s):
#   a. one Breakwater, route rate-limit {pacing: true}, 8 clients
#   b. one Breakwater, route rate-limit {pacing: false}, 8 clients
#   c. three Breakwaters sharing one Redis (top-level fleet: {redis, key-prefix}), 4 clients each, pacing true
#   d. three Breakwaters without fleet:, 4 clients each, pacing true (the N x overshoot)
#   e. like c, but Redis is SIGKILLed PACING_OUTAGE_AT (5) s into the run and restarted on the same port
#      PACING_OUTAGE_LEN (5) s later; breakwater_fleet_degraded is scraped from each admin /metrics during the
#      outage (expected 1) and after it (expected 0)
# A scenario whose configuration this jar rejects (no fleet: or rate-limit: yet) prints "n/a: <reason>".
# With PACING_SECTION=auto (default) the route's rate-limit: section is written only when the jar accepts it:
# otherwise a is n/a and b..e run without the section (the table says "omitted").
#
# Columns: upstream calls and 429s (from the upstream's GET /__stats), peak calls/window (the most calls that
# arrived in one window of the key, 429s included; the limit is 20), client statuses (and the error codes of
# non-200 answers: rate_limit_exceeded is the upstream's 429 passed through, rate_limited is Breakwater's own),
# Breakwater's held requests and give_up reasons (from its JSON log), elapsed time, latency, goodput; for fleet
# scenarios also the commands Redis served (a handful means the instances never used it).
#
# Environment:
#   BREAKWATER_JAR                    the jar (default target/breakwater.jar of this checkout)
#   PACING_ONLY="a b c d e"           scenarios to run
#   PACING_SECTION=auto|on|omit       write the route's rate-limit: section (auto: when the jar accepts it)
#   PACING_ROUTE_RETRY='{retry-methods: [GET, POST], max-attempts: 4}'
#                                     the route's retry: (the shipped config's openai route). Empty: no retry:
#                                     line, and POSTs are never retried (method_not_retryable)
#   PACING_REQUESTS=200 PACING_LIMIT=20 PACING_WINDOW=2s PACING_LATENCY=5ms
#   PACING_OUTAGE_AT=5 PACING_OUTAGE_LEN=5   scenario e's Redis outage, in seconds
#   PACING_OUT                        directory for logs and raw JSON (default a new /tmp/breakwater-pacing.XXXXXX)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }

ONLY=${PACING_ONLY:-a b c d e}
SECTION=${PACING_SECTION:-auto}
ROUTE_RETRY=${PACING_ROUTE_RETRY-'{retry-methods: [GET, POST], max-attempts: 4}'}
REQUESTS=${PACING_REQUESTS:-200}
LIMIT=${PACING_LIMIT:-20}
WINDOW=${PACING_WINDOW:-2s}
LATENCY=${PACING_LATENCY:-5ms}
OUTAGE_AT=${PACING_OUTAGE_AT:-5}
OUTAGE_LEN=${PACING_OUTAGE_LEN:-5}
JAR=${BREAKWATER_JAR:-$ROOT/target/breakwater.jar}

LOG_TAG=pacing
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for tool in java javac curl ss; do command -v "$tool" >/dev/null || die "$tool not found"; done
[[ -f $JAR ]] || die "$JAR is missing: build it first (flock /tmp/mvn.lock mvn -B -q -o package -DskipTests)"
case $SECTION in auto | on | omit) ;; *) die "PACING_SECTION must be auto, on or omit" ;; esac
OUT=${PACING_OUT:-$(mktemp -d /tmp/breakwater-pacing.XXXXXX)}
mkdir -p "$OUT"
export BREAKWATER_JAR=$JAR BREAKWATER_LOG_LEVEL=INFO BREAKWATER_LOG_FORMAT=json

REDIS_PID=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_started 50
    [[ -n $REDIS_PID ]] && kill -KILL "$REDIS_PID" 2>/dev/null
    log "logs and raw results in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# forget PID: drop it from PIDS once it has been stopped, so that cleanup never signals a reused PID.
forget() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=(${keep[@]+"${keep[@]}"})
}

# stop_pid PID: TERM, up to 5 s, then KILL; waits for it.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget "$1"
}

# free_port VAR: a loopback port nobody listens on and this script has not handed out yet.
declare -A TAKEN=()
free_port() {
    local p listening
    listening=$(ss -Hltn | awk '{n = split($4, a, ":"); print a[n]}')
    for _ in $(seq 500); do
        p=$((20000 + RANDOM % 40000))
        [[ -n ${TAKEN[$p]:-} ]] && continue
        grep -qx "$p" <<<"$listening" && continue
        TAKEN[$p]=1
        printf -v "$1" '%s' "$p"
        return 0
    done
    die "no free port found"
}

# json_num JSON KEY: the first number after "KEY": (top-level keys come first in our JSON).
json_num() { grep -o "\"$2\":[0-9.]*" <<<"$1" | head -1 | cut -d: -f2; }
# json_map JSON KEY: the flat object after "KEY": as "k×v, k×v" ("-" when empty).
json_map() {
    local m
    m=$(grep -o "\"$2\":{[^{}]*}" <<<"$1" | head -1 | sed -E 's/^"[^"]*":\{//; s/\}$//; s/"([^"]*)":([0-9]+)/\1×\2/g; s/,/, /g')
    printf '%s' "${m:--}"
}

# --- the load client, compiled once ---
mkdir -p "$OUT/classes"
javac -d "$OUT/classes" "$ROOT/bench/PaceLoad.java" || die "bench/PaceLoad.java does not compile"

# --- the limited upstream, for the whole run ---
"$ROOT/bin/limited-upstream" --port 0 --limit "$LIMIT" --window "$WINDOW" --latency "$LATENCY" \
    >"$OUT/upstream.out" 2>"$OUT/upstream.err" &
PIDS+=("$!")
UPORT=
for _ in $(seq 100); do
    UPORT=$(head -1 "$OUT/upstream.out" 2>/dev/null | sed -n 's/^listening on \([0-9]*\)$/\1/p')
    [[ -n $UPORT ]] && break
    sleep 0.1
done
[[ -n $UPORT ]] || die "bin/limited-upstream did not start: $(cat "$OUT/upstream.err")"
log "limited upstream on 127.0.0.1:$UPORT: $LIMIT requests per $WINDOW per key, latency $LATENCY"
WINDOW_MS=$(curl -s "http://127.0.0.1:$UPORT/__stats" | grep -o '"windowMs":[0-9]*' | cut -d: -f2)
IDEAL=$(awk -v r="$REQUESTS" -v l="$LIMIT" -v w="$WINDOW_MS" 'BEGIN {printf "%.1f", r / l * w / 1000}')

# write_cfg FILE PORT APORT PACING(true|false|omit) REDIS_PORT(empty: no fleet)
write_cfg() {
    {
        echo "listen: 127.0.0.1:$2"
        echo "admin: 127.0.0.1:$3"
        if [[ -n $5 ]]; then
            printf 'fleet:\n  redis: redis://127.0.0.1:%s\n  key-prefix: bench\n' "$5"
        fi
        printf 'routes:\n  - name: openai\n    path-prefix: /v1/\n    upstream: http://127.0.0.1:%s\n    provider: openai\n' "$UPORT"
        [[ -n $ROUTE_RETRY ]] && echo "    retry: $ROUTE_RETRY"
        if [[ $4 != omit ]]; then printf '    rate-limit:\n      pacing: %s\n' "$4"; fi
    } >"$1"
}

# check_cfg FILE: 0 when the jar accepts it; else prints the first problem.
check_cfg() {
    local out
    if out=$(java -jar "$JAR" --check --config "$1" 2>&1); then return 0; fi
    # the first problem, without the list of known keys
    grep -m1 -E '^\s+\S+:[0-9]+: ' <<<"$out" | sed -E 's/^\s+[^ ]*:[0-9]+: //; s/ \(expected one of:.*$//' ||
        head -1 <<<"$out"
    return 1
}

# Is the route's rate-limit: section accepted by this jar?
RL_REASON=
free_port probe_port
free_port probe_admin
write_cfg "$OUT/probe.yaml" "$probe_port" "$probe_admin" true ""
if RL_REASON=$(check_cfg "$OUT/probe.yaml"); then RL_REASON=; fi
if [[ -n $RL_REASON ]]; then log "the jar rejects rate-limit: ($RL_REASON)"; fi
pacing_value() { # wanted(true|false) -> what to write
    case $SECTION in
        omit) echo omit ;;
        on) echo "$1" ;;
        auto) if [[ -z $RL_REASON ]]; then echo "$1"; else echo omit; fi ;;
    esac
}

# start_redis PORT -> REDIS_PID; waits for PONG.
start_redis() {
    redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        >>"$OUT/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do
        [[ $(redis-cli -p "$1" ping 2>/dev/null) == PONG ]] && return 0
        sleep 0.05
    done
    die "redis-server did not start on port $1 (see $OUT/redis.log)"
}
stop_redis() {
    [[ -n $REDIS_PID ]] || return 0
    kill -KILL "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=
}

# degraded APORT: breakwater_fleet_degraded on that admin /metrics (the largest series), or "absent".
degraded() {
    curl -s --max-time 3 "http://127.0.0.1:$1/metrics" |
        awk '$1 == "breakwater_fleet_degraded" || index($1, "breakwater_fleet_degraded{") == 1 {
                 if (!f || $2 + 0 > m) m = $2 + 0; f = 1 }
             END { if (f) printf "%g", m; else printf "absent" }'
}

ROWS=()
row() { ROWS+=("$*"); }
na() { # id label reason
    log "$1: n/a: $3"
    row "| $1 | $2 | n/a: $3 | | | | | | | |"
}

# scenario ID INSTANCES CLIENTS PACING(true|false) FLEET(0|1) OUTAGE(0|1)
scenario() {
    local id=$1 n=$2 clients=$3 want=$4 fleet=$5 outage=$6
    local pacing label redis_port="" i urls="" ports=() aports=() pids=() reason
    pacing=$(pacing_value "$want")
    label="$n × Breakwater"
    [[ $fleet == 1 ]] && label+=", fleet (Redis)"
    [[ $outage == 1 ]] && label+=", Redis killed ${OUTAGE_AT}-$((OUTAGE_AT + OUTAGE_LEN)) s"
    label+=", $clients clients"
    if [[ $pacing == omit && $SECTION == auto && $want == true && $n == 1 ]]; then
        na "$id" "$label, pacing true" "this jar rejects it: $RL_REASON"
        return 0
    fi
    label+=", pacing $([[ $pacing == omit ]] && echo "omitted" || echo "$pacing")"
    if [[ $fleet == 1 ]]; then
        command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
            na "$id" "$label" "redis-server not installed (apt-get install -y redis-server)"
            return 0
        }
        free_port redis_port
    fi
    for ((i = 0; i < n; i++)); do
        free_port "ports[$i]"
        free_port "aports[$i]"
        write_cfg "$OUT/$id-$i.yaml" "${ports[$i]}" "${aports[$i]}" "$pacing" "$redis_port"
    done
    if ! reason=$(check_cfg "$OUT/$id-0.yaml"); then
        na "$id" "$label" "$reason"
        return 0
    fi
    log "$id: $label"
    [[ $fleet == 1 ]] && start_redis "$redis_port"
    curl -s -X POST "http://127.0.0.1:$UPORT/__reset" >/dev/null
    for ((i = 0; i < n; i++)); do
        "$ROOT/bin/breakwater" --config "$OUT/$id-$i.yaml" >"$OUT/$id-$i.log" 2>&1 &
        pids[$i]=$!
        PIDS+=("${pids[$i]}")
        urls+="${urls:+,}http://127.0.0.1:${ports[$i]}/v1"
    done
    for ((i = 0; i < n; i++)); do
        for _ in $(seq 200); do
            curl -sf --max-time 1 "http://127.0.0.1:${aports[$i]}/readyz" >/dev/null && break
            kill -0 "${pids[$i]}" 2>/dev/null || break
            sleep 0.1
        done
        if ! curl -sf --max-time 1 "http://127.0.0.1:${aports[$i]}/readyz" >/dev/null; then
            reason=$(grep -m1 -vE '^\{' "$OUT/$id-$i.log" || true)
            for p in "${pids[@]}"; do stop_pid "$p"; done
            stop_redis
            na "$id" "$label" "instance $i did not become ready: ${reason:-see $OUT/$id-$i.log}"
            return 0
        fi
    done

    local load_pid during="" after="" t0
    timeout 240 java -cp "$OUT/classes" PaceLoad --url "$urls" --clients "$clients" --requests "$REQUESTS" \
        --timeout 120s >"$OUT/$id-load.json" 2>"$OUT/$id-load.err" &
    load_pid=$!
    PIDS+=("$load_pid")
    if [[ $outage == 1 ]]; then
        # the outage is timed from the load client's first request, not from its launch
        for _ in $(seq 100); do grep -q '^started' "$OUT/$id-load.err" && break; sleep 0.1; done
        sleep "$OUTAGE_AT"
        log "$id: SIGKILL redis-server (pid $REDIS_PID)"
        stop_redis
        sleep "$(awk -v l="$OUTAGE_LEN" 'BEGIN {print l / 2}')"
        for ((i = 0; i < n; i++)); do during+="${during:+/}$(degraded "${aports[$i]}")"; done
        sleep "$(awk -v l="$OUTAGE_LEN" 'BEGIN {print l / 2}')"
        log "$id: restart redis-server on port $redis_port (degraded during outage: $during)"
        start_redis "$redis_port"
        t0=$SECONDS
    fi
    wait "$load_pid" || log "$id: load client exited $? ($(head -c 300 "$OUT/$id-load.err"))"
    forget "$load_pid"
    if [[ $outage == 1 ]]; then
        # give the instances a few seconds to notice Redis is back
        while ((SECONDS - t0 < 4)); do sleep 0.5; done
        for ((i = 0; i < n; i++)); do after+="${after:+/}$(degraded "${aports[$i]}")"; done
    fi
    local stats load rcmds=""
    stats=$(curl -s "http://127.0.0.1:$UPORT/__stats")
    if [[ $fleet == 1 ]]; then
        # commands Redis served (since its last start), so that a fleet: section Redis never hears from shows
        rcmds=$(redis-cli -p "$redis_port" info stats 2>/dev/null | tr -d '\r' |
            awk -F: '$1 == "total_commands_processed" {print $2}' || true)
    fi
    load=$(cat "$OUT/$id-load.json")
    echo "$stats" >"$OUT/$id-upstream.json"
    for p in "${pids[@]}"; do stop_pid "$p"; done
    stop_redis
    [[ -n $load ]] || { na "$id" "$label" "the load client printed nothing ($(head -c 200 "$OUT/$id-load.err"))"; return 0; }

    local held gave notes
    held=$(cat "$OUT/$id"-[0-9]*.log | grep -c '"message":"held"' || true)
    gave=$(cat "$OUT/$id"-[0-9]*.log | grep '"message":"give_up"' | grep -o '"reason":"[a-z_]*"' | cut -d'"' -f4 |
        sort | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? ", " : ""), $2, $1}' || true)
    notes="held $held; gave up: ${gave:-none}"
    [[ $(json_map "$load" codes) != - ]] && notes+="; non-200: $(json_map "$load" codes)"
    [[ $fleet == 1 ]] && notes+="; Redis commands$([[ $outage == 1 ]] && echo " since restart" || true): ${rcmds:-?}"
    [[ $outage == 1 ]] && notes+="; fleet_degraded during: $during, after: $after"
    row "| $id | $label | $(json_num "$stats" requests) | $(json_num "$stats" limited) | $(grep -o '"peakPerWindow":[0-9]*' <<<"$stats" | cut -d: -f2 | sort -n | tail -1) | $(json_map "$load" status) | $(json_num "$load" elapsed_s) ($IDEAL) | $(json_num "$load" p50_ms) / $(json_num "$load" p99_ms) | $(json_num "$load" goodput_rps) | $notes |"
    log "$id: upstream $stats"
    log "$id: client $load"
}

for s in $ONLY; do
    case $s in
        a) scenario a 1 8 true 0 0 ;;
        b) scenario b 1 8 false 0 0 ;;
        c) scenario c 3 12 true 1 0 ;;
        d) scenario d 3 12 true 0 0 ;;
        e) scenario e 3 12 true 1 1 ;;
        *) die "unknown scenario '$s' (a b c d e)" ;;
    esac
done

echo "Pacing: $REQUESTS requests, closed loop, upstream limit $LIMIT per $WINDOW per key (bin/limited-upstream, latency $LATENCY); route retry: ${ROUTE_RETRY:-none (POST not retried)}; jar $(basename "$JAR") $(date -u -r "$JAR" +%Y-%m-%dT%H:%MZ); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
echo
echo "| | scenario | upstream calls | upstream 429s | peak calls / window (limit $LIMIT) | client statuses | elapsed s (ideal) | p50 / p99 ms | goodput req/s | notes |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
