#!/usr/bin/env bash
# Fleet mode's cost on the hot path: the same Breakwater configuration with and without `fleet:` (a local Redis),
# in front of an nginx upstream that returns a fixed chat completion WITH x-ratelimit-* headers (a limit far above
# the load, so pacing takes leases but never holds). Interleaved rounds of wrk: latency at 1 connection (p50, p99)
# and requests/s at 64 connections, for: direct to nginx, Breakwater without pacing, Breakwater alone (pacing),
# Breakwater in fleet mode; then the
# fleet-mode instance again with its Redis killed (degraded: local pacing, no Redis on the path). Prints a
# markdown table for BENCHMARKS.md on stdout; progress on stderr.
#
#   bash bench/fleet-latency.sh               (about 4 minutes; FLEET_ROUNDS=3, FLEET_SECONDS=6 by default)
#
# Needs root (installs wrk, nginx and redis-server with apt-get when missing), Java 17+, curl. Ports 18401-18408 on
# 127.0.0.1. Runs target/breakwater.jar (or $BREAKWATER_JAR) through bin/breakwater; never builds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${FLEET_ROUNDS:-3}
SECS=${FLEET_SECONDS:-6}
JAR=${BREAKWATER_JAR:-$ROOT/target/breakwater.jar}
P_UP=18401; P_OFF=18402; P_OFFADM=18403; P_ON=18404; P_ONADM=18405; P_REDIS=18406; P_NP=18407; P_NPADM=18408

LOG_TAG=fleet-latency
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
[[ -f $JAR ]] || die "$JAR is missing: build it first (flock /tmp/mvn.lock mvn -B -q -o package -DskipTests)"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
command -v redis-server >/dev/null || missing+=(redis-server)
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "needs ${missing[*]}: run as root or install them"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for p in $P_UP $P_OFF $P_OFFADM $P_ON $P_ONADM $P_REDIS $P_NP $P_NPADM; do
    ! ss -ltn "sport = :$p" | grep -q LISTEN || die "port $p is in use"
done

WORK=$(mktemp -d /tmp/breakwater-fleet-latency.XXXXXX)
trap 'stop_started 50; rm -rf "$WORK"' EXIT

CHAT_JSON='{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}'
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log /dev/null crit;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$P_UP;
        location = /v1/chat/completions {
            default_type application/json;
            add_header x-ratelimit-limit-requests 100000000 always;
            add_header x-ratelimit-remaining-requests 99999999 always;
            add_header x-ratelimit-reset-requests 60s always;
            add_header x-ratelimit-limit-tokens 100000000000 always;
            add_header x-ratelimit-remaining-tokens 99999999999 always;
            add_header x-ratelimit-reset-tokens 60s always;
            return 200 '$CHAT_JSON';
        }
        location / { return 404; }
    }
}
NGINX
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & PIDS+=($!)
redis-server --port $P_REDIS --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=($REDIS_PID)

config() { # port admin-port fleet(0|1|nopace)
    printf 'listen: 127.0.0.1:%s\nadmin: 127.0.0.1:%s\nlogging: {level: WARN}\n' "$1" "$2"
    printf 'routes:\n  - name: openai\n    path-prefix: /v1/\n    upstream: http://127.0.0.1:%s\n    provider: openai\n' "$P_UP"
    if [[ $3 == nopace ]]; then
        printf '    rate-limit: {pacing: false}\n'
    fi
    if [[ $3 == 1 ]]; then
        printf 'fleet:\n  redis: redis://127.0.0.1:%s\n  key-prefix: bench\n' "$P_REDIS"
    fi
}
config $P_OFF $P_OFFADM 0 >"$WORK/off.yaml"
config $P_ON $P_ONADM 1 >"$WORK/on.yaml"
config $P_NP $P_NPADM nopace >"$WORK/nopace.yaml"
BREAKWATER_JAR=$JAR "$ROOT/bin/breakwater" --config "$WORK/off.yaml" >"$WORK/off.log" 2>&1 & PIDS+=($!)
BREAKWATER_JAR=$JAR "$ROOT/bin/breakwater" --config "$WORK/on.yaml" >"$WORK/on.log" 2>&1 & PIDS+=($!)
BREAKWATER_JAR=$JAR "$ROOT/bin/breakwater" --config "$WORK/nopace.yaml" >"$WORK/nopace.log" 2>&1 & PIDS+=($!)
for p in $P_OFFADM $P_ONADM $P_NPADM; do
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$p/readyz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fs "http://127.0.0.1:$p/readyz" >/dev/null || die "Breakwater on admin port $p did not become ready"
done

declare -A PORT=([direct]=$P_UP [nopace]=$P_NP [off]=$P_OFF [on]=$P_ON)
run() { # target threads conns seconds
    local line
    line=$(timeout $(($4 + 30)) wrk -t"$2" -c"$3" -d"$4s" --timeout 5s -s "$ROOT/bench/wrk-post.lua" \
        "http://127.0.0.1:${PORT[$1]}" | grep '^BENCH' || true)
    [[ -n $line ]] || die "wrk produced no result for $1"
    echo "${line#BENCH }"
}
log "warm-up: 8 s per Breakwater at 64 connections"
run nopace 2 64 8 >/dev/null
run off 2 64 8 >/dev/null
run on 2 64 8 >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    log "round $r/$ROUNDS"
    for t in direct nopace off on; do
        echo "$t lat $(run "$t" 1 1 "$SECS")" >>"$WORK/results"
        echo "$t thr $(run "$t" 2 64 "$SECS")" >>"$WORK/results"
    done
done
redis_cmds=$(redis-cli -p $P_REDIS info stats | tr -d '\r' | awk -F: '/^total_commands_processed/ {print $2 + 0}')
degraded=$(curl -fs "http://127.0.0.1:$P_ONADM/metrics" | awk '/^breakwater_fleet_degraded/ {print $2}')
log "killing Redis (SIGKILL): the fleet instance runs degraded"
kill -KILL "$REDIS_PID"
for _ in $(seq 1 100); do
    [[ $(curl -fs "http://127.0.0.1:$P_ONADM/metrics" | awk '/^breakwater_fleet_degraded/ {print $2}') == 1.0 ]] && break
    sleep 0.1
done
degraded_down=$(curl -fs "http://127.0.0.1:$P_ONADM/metrics" | awk '/^breakwater_fleet_degraded/ {print $2}')
PORT[down]=$P_ON
for r in $(seq 1 "$ROUNDS"); do
    log "Redis down, round $r/$ROUNDS"
    echo "down lat $(run down 1 1 "$SECS")" >>"$WORK/results"
    echo "down thr $(run down 2 64 "$SECS")" >>"$WORK/results"
done
requests_on=$(awk '$1 == "on" { for (i = 3; i <= NF; i++) if ($i ~ /^requests=/) { split($i, a, "="); s += a[2] } } END { print s + 0 }' "$WORK/results")

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { # target kind key
    awk -v t="$1" -v k="$2" -v f="$3" '$1 == t && $2 == k { for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == f) print a[2] } }' \
        "$WORK/results" | median
}
echo "| Target | p50 at 1 conn (µs) | p99 at 1 conn (µs) | req/s at 64 conns | added p50 / p99 vs direct (µs) |"
echo "|---|---|---|---|---|"
d50=$(field direct lat p50); d99=$(field direct lat p99)
for t in direct nopace off on down; do
    name=$t
    [[ $t == nopace ]] && name="Breakwater, pacing off"
    [[ $t == off ]] && name="Breakwater, pacing, no fleet"
    [[ $t == on ]] && name="Breakwater, pacing, fleet on local Redis"
    [[ $t == down ]] && name="the same, Redis killed (degraded)"
    p50=$(field "$t" lat p50); p99=$(field "$t" lat p99); rps=$(field "$t" thr rps)
    added="-"
    [[ $t != direct ]] && added="+$(awk -v a="$p50" -v b="$d50" 'BEGIN { print a - b }') / +$(awk -v a="$p99" -v b="$d99" 'BEGIN { print a - b }')"
    printf '| %s | %s | %s | %.0f | %s |\n' "$name" "$p50" "$p99" "$rps" "$added"
done
echo
echo "Medians of $ROUNDS interleaved rounds of ${SECS} s (wrk, POST /v1/chat/completions). Redis served $redis_cmds commands for $requests_on requests in fleet mode; breakwater_fleet_degraded: ${degraded:-absent} with Redis up, ${degraded_down:-absent} after the kill (the Redis-down rows ran after the others, not interleaved)."
