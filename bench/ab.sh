#!/usr/bin/env bash
# A/B check of one change on the hot path: two Breakwater jars side by side against one nginx upstream, measured
# in interleaved wrk rounds (A, B, A, B, ...) so that drift of a noisy machine hits both alike; medians per jar.
#
#   bash bench/ab.sh OLD.jar NEW.jar [ROUNDS=4] [SECONDS=8]
#
# Each round: latency at 1 connection (wrk -t1 -c1: p50, p99), requests/s at 64 connections (wrk -t2 -c64), and
# the CPU time the jar's process spent per request at 64 connections (from /proc, user + system): on a VM whose
# neighbours steal CPU, requests/s moves with them, CPU per request much less.
# Both jars run the shipped policies (bench/breakwater-bench.yaml of each jar's checkout) through bin/breakwater with its JVM flags,
# logging at INFO to /dev/null, as bench/run.sh does. Needs nginx and wrk (bench/run.sh installs them), curl,
# and ports 18401-18421 free on loopback.
#
# AB_HEAP_OPTS_A / AB_HEAP_OPTS_B, when set, replace the launcher's heap flags for that side only
# (BREAKWATER_HEAP_OPTS), to compare heap layouts, or a jar with the flags it shipped with.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
JAR_A=$(realpath "${1:?usage: bench/ab.sh OLD.jar NEW.jar [ROUNDS] [SECONDS]}")
JAR_B=$(realpath "${2:?usage: bench/ab.sh OLD.jar NEW.jar [ROUNDS] [SECONDS]}")
ROUNDS=${3:-4}
SECS=${4:-8}
P_UP=18401
WORK=$(mktemp -d /tmp/breakwater-ab.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
error_log stderr error;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$P_UP;
        location / {
            default_type application/json;
            return 200 '{"id":"chatcmpl-bench","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}';
        }
    }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
PIDS+=($!)

# Each jar runs with the bench config of its own checkout (target/x.jar -> bench/breakwater-bench.yaml), when it
# has one: an older jar may not know keys a newer config has.
config_of() {
    local own
    own="$(dirname "$(dirname "$1")")/bench/breakwater-bench.yaml"
    [[ -f $own ]] && echo "$own" || echo "$BENCH/breakwater-bench.yaml"
}
CONF_A=$(config_of "$JAR_A")
CONF_B=$(config_of "$JAR_B")

AB_WARM=${AB_WARM:-10}
start() { # label jar port admin-port config heap-opts
    if [[ -n $6 ]]; then export BREAKWATER_HEAP_OPTS=$6; else unset BREAKWATER_HEAP_OPTS; fi
    BREAKWATER_JAR=$2 BW_PORT=$3 BW_ADMIN_PORT=$4 BENCH_UPSTREAM_PORT=$P_UP \
        "$ROOT/bin/breakwater" --config "$5" >/dev/null 2>"$WORK/$1.stderr" &
    PIDS+=($!)
    echo $! >"$WORK/$1.pid"
    for _ in $(seq 1 600); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$4/readyz" || true) == 200 ]] && return
        sleep 0.1
    done
    cat "$WORK/$1.stderr" >&2
    echo "Breakwater $1 did not become ready" >&2
    exit 1
}
# Private copies, so a rebuild during the run cannot change a jar under its JVM.
cp "$JAR_A" "$WORK/a.jar"
cp "$JAR_B" "$WORK/b.jar"
start a "$WORK/a.jar" 18410 18411 "$CONF_A" "${AB_HEAP_OPTS_A:-}"
start b "$WORK/b.jar" 18420 18421 "$CONF_B" "${AB_HEAP_OPTS_B:-}"

wrk_line() { # port threads conns seconds
    timeout $(($4 + 30)) wrk -t"$2" -c"$3" -d"$4s" --timeout 5s -s "$BENCH/wrk-post.lua" "http://127.0.0.1:$1" |
        grep '^BENCH' | sed 's/^BENCH //'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$WORK/$1.pid")/stat"; } # 1/100 s, user + system
echo "warm-up: $AB_WARM s at 64 connections each (AB_WARM)" >&2
wrk_line 18410 2 64 "$AB_WARM" >/dev/null
wrk_line 18420 2 64 "$AB_WARM" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    for t in a b; do
        port=18410
        [[ $t == b ]] && port=18420
        echo "round=$r jar=$t kind=c1 $(wrk_line $port 1 1 "$SECS")" | tee -a "$WORK/results.txt" >&2
        before=$(cpu_ticks $t)
        line=$(wrk_line $port 2 64 "$SECS")
        after=$(cpu_ticks $t)
        n=$(tr ' ' '\n' <<<"$line" | grep '^requests=' | cut -d= -f2)
        cpu_us=$(awk -v t=$((after - before)) -v n="$n" 'BEGIN {printf "%.1f", t * 10000 / n}')
        echo "round=$r jar=$t kind=c64 $line cpu_us=$cpu_us" | tee -a "$WORK/results.txt" >&2
    done
done

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
field() { # jar kind key
    grep "jar=$1 kind=$2 " "$WORK/results.txt" | tr ' ' '\n' | grep "^$3=" | cut -d= -f2 | median
}
echo
echo "| jar | p50 @1 (µs) | p99 @1 (µs) | req/s @64 | CPU µs/request @64 |"
echo "|---|---:|---:|---:|---:|"
for t in a b; do
    jar=$JAR_A
    [[ $t == b ]] && jar=$JAR_B
    echo "| $t: $(basename "$(dirname "$(dirname "$jar")")")/$(basename "$jar") | $(field $t c1 p50) | $(field $t c1 p99) | $(field $t c64 rps) | $(field $t c64 cpu_us) |"
done
echo
echo "medians of $ROUNDS interleaved rounds of $SECS s; raw lines in $WORK/results.txt"
