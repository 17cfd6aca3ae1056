#!/usr/bin/env bash
# Breakwater benchmark: one run on loopback, everything started and stopped by this script.
#
#   bash bench/run.sh                 full run (about 8-10 minutes on 2 cores)
#   BENCH_QUICK=1 bash bench/run.sh   smoke variant (about 2-3 minutes: one round, short runs)
#
# What it measures (see BENCHMARKS.md for the method and the latest numbers):
#   1. HTTP: direct to an nginx upstream that returns a fixed chat completion, then through nginx as a reverse
#      proxy (1 worker and 2 workers), HAProxy (2 threads) and Breakwater (the shipped policies, INFO logging to
#      /dev/null): latency at 1 connection (p50, p99, p99.9, wrk) and requests/s at 64 connections, in
#      interleaved rounds; medians of the rounds. Also Breakwater's peak RSS and its time from start to /readyz.
#   2. Streaming: 1,000 concurrent SSE streams of 50 events, direct and through Breakwater, in alternating
#      rounds: added time to first event, added inter-event delay, stalls; and through a route that commits at
#      the headers instead of the first event (stream.commit-on-first-event: false), for that feature's cost.
#   3. Failure path: 200 clients against an upstream that answers 429 + Retry-After: 1 for one second in every
#      five; upstream calls per closed window and model, client success rate, Breakwater heap and RSS. Then
#      10,000 requests held at the rate-limit gate: heap after full GCs while they are held.
#
# Needs root (apt-get), Java 17+, Node.js (>= 18) and curl. Installs wrk, nginx and haproxy when missing.
# Builds target/breakwater.jar only when it is missing or older than the sources (under /tmp/mvn.lock), then
# runs a private copy of it through bin/breakwater (BREAKWATER_JAR), so a rebuild during the run cannot change
# the jar under the JVM.
#
# Environment:
#   BENCH_QUICK=1       smoke variant
#   BENCH_JAVA_OPTS     JVM flags for Breakwater, added after bin/breakwater's defaults (later flags win)
#   BENCH_PROFILE=1     also record 20 s of JFR during a 64-connection run and print the hottest frames
#
# All traffic stays on 127.0.0.1, on fixed ports 18301-18330 (checked to be free first). Every load run is
# bounded in time, and everything started here is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
QUICK=${BENCH_QUICK:-0}
JAVA_OPTS_BENCH=${BENCH_JAVA_OPTS:-}

# Ports (loopback only).
P_UP=18301        # nginx upstream (fixed JSON), the "direct" target
P_NGX1=18302      # nginx reverse proxy, worker_processes 1
P_NGX2=18303      # nginx reverse proxy, worker_processes auto (= nproc)
P_HAP=18304       # HAProxy, nbthread = nproc
P_BW=18310        # Breakwater proxy listener
P_BWADMIN=18311   # Breakwater admin listener (/readyz)
P_SSE=18320       # SSE upstream (node)
P_RL=18330        # 429-window upstream (node)
ALL_PORTS=($P_UP $P_NGX1 $P_NGX2 $P_HAP $P_BW $P_BWADMIN $P_SSE $P_RL)

if [[ $QUICK == 1 ]]; then
    ROUNDS=1; D_LAT=4; D_THR=4; D_WARM_BW=5; D_WARM=1; READY_STARTS=1
    SSE_ROUNDS=1; SSE_STREAMS=1000; SSE_EVENTS=50; SSE_INTERVAL=50; SSE_RAMP=1000; SSE_WARM_MAX=3
    FAIL_AGENTS_MS=12000; FAIL_STRESS_MS=7000; HOLD_N=2000; HOLD_S=15
else
    ROUNDS=3; D_LAT=10; D_THR=10; D_WARM_BW=10; D_WARM=2; READY_STARTS=3
    SSE_ROUNDS=3; SSE_STREAMS=1000; SSE_EVENTS=50; SSE_INTERVAL=100; SSE_RAMP=1000; SSE_WARM_MAX=8
    FAIL_AGENTS_MS=30000; FAIL_STRESS_MS=15000; HOLD_N=10000; HOLD_S=25
fi

LOG_TAG=bench
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------------------------------------ prerequisites
[[ $(id -u) == 0 ]] || die "run as root (it installs wrk, nginx and haproxy with apt-get when missing)"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"
for tool in java jcmd jstat node wrk nginx haproxy curl ss; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
# Debian starts nginx/haproxy services on install where it can; nothing here relies on them, and the ports
# below are checked, so a system nginx on :80 does not matter.

# ------------------------------------------------------------------------------------------------ jar
JAR="$ROOT/target/breakwater.jar"
stale=0
if [[ ! -f $JAR ]]; then
    stale=1
elif [[ -n $(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit 2>/dev/null) ]]; then
    stale=1
fi
if [[ $stale == 1 ]]; then
    log "target/breakwater.jar is missing or stale: building (mvn -o package -DskipTests)"
    (cd "$ROOT" && flock /tmp/mvn.lock mvn -o -B -q package -DskipTests) >&2
fi

# ------------------------------------------------------------------------------------------------ ports
busy=()
for p in "${ALL_PORTS[@]}"; do
    if ss -Htln "sport = :$p" | grep -q .; then busy+=("$p"); fi
done
((${#busy[@]} == 0)) || die "ports already in use: ${busy[*]} (stop whatever listens there, or edit the ports)"

# ------------------------------------------------------------------------------------------------ workspace
WORK=$(mktemp -d /tmp/breakwater-bench.XXXXXX)
RES="$WORK/results"
mkdir -p "$RES" "$WORK/nginx-up" "$WORK/nginx-p1" "$WORK/nginx-p2"
# Copy under the build lock, so that a concurrent build cannot hand us a half-written jar.
flock /tmp/mvn.lock cp "$JAR" "$WORK/breakwater.jar"
# bin/breakwater runs that copy (never building) with its default JVM flags, then JAVA_OPTS; java from the PATH,
# like jcmd and jstat below.
export BREAKWATER_JAR="$WORK/breakwater.jar" JAVA=java
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_started 30
    rm -f "$WORK/breakwater.jar"
    log "raw results: $RES"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process we started: TERM, then KILL after 10 s (Breakwater drains for up to 30 s on TERM; with nothing
# in flight it exits at once, but a jar's first start then writes its class-data archive, a second or more).
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

wait_http() { # url, expected status, tries of 10 ms
    local url=$1 want=$2 tries=${3:-500}
    for _ in $(seq 1 "$tries"); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == "$want" ]] && return 0
        sleep 0.01
    done
    return 1
}

# ------------------------------------------------------------------------------------------------ machine
NPROC=$(nproc)
# The java command the launcher would run; it alone decides whether a class-data archive is used.
JAVA_CMD=$(JAVA_OPTS="$JAVA_OPTS_BENCH" BREAKWATER_DRY_RUN=1 "$ROOT/bin/breakwater")
{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "quick=$QUICK rounds=$ROUNDS d_lat=$D_LAT d_thr=$D_THR"
    echo "nproc=$NPROC"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "mem=$(free -h | awk '/^Mem:/ {print $2}')"
    echo "kernel=$(uname -r)"
    echo "java=$(java -version 2>&1 | head -1)"
    echo "jvm=$(java -version 2>&1 | sed -n 3p)"
    # The archive flag names a per-process file: the flags line leaves it out, the report states it on its own.
    echo "java_opts=$(sed -E 's/^[^ ]+ //; s/ -jar .*$//; s/-XX:(ArchiveClassesAtExit|SharedArchiveFile)=[^ ]+ ?//g' <<<"$JAVA_CMD")"
    echo "cds=$([[ $JAVA_CMD =~ -XX:(ArchiveClassesAtExit|SharedArchiveFile)= ]] && echo on || echo off)"
    echo "nginx=$(nginx -v 2>&1 | sed 's/.*: //')"
    echo "haproxy=$(haproxy -v | head -1 | awk '{print $3}')"
    echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    echo "node=$(node --version)"
    echo "ulimit_n=$(ulimit -n)"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RES/meta.txt"
# CPU time the hypervisor gave other guests (steal) while this run went on: figures from a run with much of it
# measure the neighbours as much as the proxies.
cpu_counters() { awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9}' /proc/stat; }
read -r CPU_TOTAL0 CPU_STEAL0 < <(cpu_counters)
log "machine: $NPROC cores, load $(cut -d' ' -f1-3 /proc/loadavg); results in $RES"

# ------------------------------------------------------------------------------------------------ configs
CHAT_JSON='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":9,"total_tokens":28},"system_fingerprint":"fp_bench"}'

nginx_common() { # prefix dir, workers
    cat <<EOF
daemon off;
master_process on;
user root;
worker_processes $2;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
EOF
}

# Upstream: one worker, so that it does not take both cores from the proxies under test.
{
    nginx_common "$WORK/nginx-up" 1
    cat <<EOF
    server {
        listen 127.0.0.1:$P_UP;
        location = /v1/chat/completions {
            default_type application/json;
            return 200 '$CHAT_JSON';
        }
        location / { return 404; }
    }
}
EOF
} >"$WORK/nginx-up/nginx.conf"

for w in 1 2; do
    port=$P_NGX1; workers=1
    [[ $w == 2 ]] && { port=$P_NGX2; workers=auto; }
    {
        nginx_common "$WORK/nginx-p$w" "$workers"
        cat <<EOF
    upstream chat {
        server 127.0.0.1:$P_UP;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://chat;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    } >"$WORK/nginx-p$w/nginx.conf"
done

cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $NPROC
    maxconn 8000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    option http-keep-alive
    http-reuse always
frontend fe
    bind 127.0.0.1:$P_HAP
    default_backend chat
backend chat
    server up 127.0.0.1:$P_UP
EOF

# Breakwater's own environment: the bench config reads its ports from these.
export BW_PORT=$P_BW BW_ADMIN_PORT=$P_BWADMIN BENCH_UPSTREAM_PORT=$P_UP BENCH_SSE_PORT=$P_SSE BENCH_RL_PORT=$P_RL
export BREAKWATER_LOG_LEVEL=INFO
JAVA_OPTS="$JAVA_OPTS_BENCH" "$ROOT/bin/breakwater" --check --config "$BENCH/breakwater-bench.yaml" >/dev/null 2>"$WORK/check.err" \
    || { cat "$WORK/check.err" >&2; die "bench/breakwater-bench.yaml is invalid"; }

BW_PID=
# Starts Breakwater (stdout, i.e. the INFO JSON log lines, to /dev/null as a sidecar would) and waits for /readyz.
# Prints the ms from launch to the first 200 from /readyz into $1. $2 names the GC log (results/gc-$2.log): the
# only flag added to the user's, one line per collection, to explain latency tails.
start_breakwater() {
    local out=$1 phase=$2 t0 t1
    t0=$(date +%s%N)
    JAVA_OPTS="$JAVA_OPTS_BENCH -Xlog:gc:file=$RES/gc-$phase.log" "$ROOT/bin/breakwater" --config "$BENCH/breakwater-bench.yaml" \
        >/dev/null 2>>"$WORK/breakwater.stderr" &
    BW_PID=$!
    PIDS+=("$BW_PID")
    echo "$BW_PID" >>"$RES/bw_pids.txt"
    local ok=0
    for _ in $(seq 1 3000); do # 10 ms polls, at most ~60 s
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$P_BWADMIN/readyz" || true) == 200 ]]; then
            ok=1
            break
        fi
        kill -0 "$BW_PID" 2>/dev/null || break
        sleep 0.01
    done
    t1=$(date +%s%N)
    ((ok)) || { cat "$WORK/breakwater.stderr" >&2; die "Breakwater did not become ready"; }
    echo $(((t1 - t0) / 1000000)) >>"$out"
}
stop_breakwater() {
    [[ -n $BW_PID ]] || return 0
    stop_pid "$BW_PID"
    BW_PID=
}
vm_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# Live heap after a full GC, in KiB (S0U + S1U + EU + OU from jstat).
heap_after_gc_kb() {
    jcmd "$1" GC.run >/dev/null
    jstat -gc "$1" | awk 'NR == 2 {printf "%d\n", $3 + $4 + $6 + $8}'
}
heap_used_kb() { jstat -gc "$1" | awk 'NR == 2 {printf "%d\n", $3 + $4 + $6 + $8}'; }

# Other agents may compile on the same machine, which skews numbers: record every busy process every 5 s
# (bounded: at most 20 minutes), so a report can tell its own load from others'.
(
    for _ in $(seq 1 240); do
        top -bn1 -w 200 | awk -v t="$(date +%H:%M:%S)" 'NR > 7 && $9 + 0 >= 20 {print t, $1, $9, $12}' >>"$RES/busy.txt"
        sleep 5
    done
) &
PIDS+=($!)

# ================================================================================================ 0. ready time
log "ready time: $READY_STARTS start(s) to /readyz"
for i in $(seq 1 "$READY_STARTS"); do
    start_breakwater "$RES/ready_ms.txt" "ready$i"
    stop_breakwater
done
log "ready ms: $(tr '\n' ' ' <"$RES/ready_ms.txt")"

# ================================================================================================ 1. HTTP
log "HTTP: starting nginx upstream, nginx proxies, HAProxy, Breakwater"
nginx -p "$WORK/nginx-up" -c "$WORK/nginx-up/nginx.conf" & PIDS+=($!)
nginx -p "$WORK/nginx-p1" -c "$WORK/nginx-p1/nginx.conf" & PIDS+=($!)
nginx -p "$WORK/nginx-p2" -c "$WORK/nginx-p2/nginx.conf" & PIDS+=($!)
haproxy -db -f "$WORK/haproxy.cfg" & PIDS+=($!)
start_breakwater "$RES/ready_ms.txt" http
echo "$BW_PID" >"$RES/http_bw_pid.txt"

declare -A PORT_OF=([direct]=$P_UP [nginx1]=$P_NGX1 [nginx2]=$P_NGX2 [haproxy]=$P_HAP [breakwater]=$P_BW)
TARGETS=(direct nginx1 nginx2 haproxy breakwater)
for t in "${TARGETS[@]}"; do
    url="http://127.0.0.1:${PORT_OF[$t]}/v1/chat/completions"
    for _ in $(seq 1 300); do
        code=$(curl -s -o "$WORK/probe-$t.json" -w '%{http_code}' --max-time 2 -X POST -H 'Content-Type: application/json' \
            -d '{"model":"bench-model","messages":[]}' "$url" || true)
        [[ $code == 200 ]] && break
        sleep 0.01
    done
    [[ $code == 200 ]] || die "$t did not answer 200 on $url (got $code)"
    cmp -s <(printf '%s' "$CHAT_JSON") "$WORK/probe-$t.json" || die "$t returned a different body"
done

run_wrk() { # target kind round threads conns seconds
    local t=$1 kind=$2 round=$3 th=$4 c=$5 d=$6 line
    line=$(timeout $((d + 30)) wrk -t"$th" -c"$c" -d"${d}s" --timeout 5s -s "$BENCH/wrk-post.lua" \
        "http://127.0.0.1:${PORT_OF[$t]}" | grep '^BENCH' || true)
    [[ -n $line ]] || die "wrk produced no result for $t $kind"
    echo "round=$round target=$t kind=$kind ${line#BENCH }" >>"$RES/http.txt"
}

log "HTTP: warm-up (Breakwater ${D_WARM_BW}s, others ${D_WARM}s each, 64 connections)"
for t in "${TARGETS[@]}"; do
    d=$D_WARM; [[ $t == breakwater ]] && d=$D_WARM_BW
    timeout $((d + 30)) wrk -t2 -c64 -d"${d}s" --timeout 5s -s "$BENCH/wrk-post.lua" "http://127.0.0.1:${PORT_OF[$t]}" >/dev/null
done

# CPU ticks (1/100 s) spent so far by the JVM's JIT compiler threads.
jit_ticks() {
    local pid=$1 sum=0 t
    for t in /proc/"$pid"/task/*; do
        case $(cat "$t/comm" 2>/dev/null) in
            C1\ CompilerThre* | C2\ CompilerThre*) sum=$((sum + $(awk '{print $14 + $15}' "$t/stat"))) ;;
        esac
    done
    echo "$sum"
}
# Keep Breakwater warm until its JIT has settled: the p99 step at 1 connection was C2 still compiling (and
# recompiling as the profile moved from 64 connections to 1), taking most of a core from wrk, nginx and the event
# loop on 2 cores for 15-30 s after a 10 s warm-up. A sidecar runs for hours, so the steady state is the figure;
# how long the JIT took is recorded as well. Warm by 2 s turns at 64 and at 1 connection, until a turn at 1
# connection costs the compiler threads under 5 % of a core (at most 120 s).
JIT_START=$(date +%s)
for i in $(seq 1 30); do
    timeout 30 wrk -t2 -c64 -d2s --timeout 5s -s "$BENCH/wrk-post.lua" "http://127.0.0.1:$P_BW" >/dev/null
    before=$(jit_ticks "$BW_PID")
    timeout 30 wrk -t1 -c1 -d2s --timeout 5s -s "$BENCH/wrk-post.lua" "http://127.0.0.1:$P_BW" >/dev/null
    after=$(jit_ticks "$BW_PID")
    ((after - before <= 10)) && break
done
echo "jit_settled_s=$(($(date +%s) - JIT_START)) jit_cpu_s=$(awk -v t="$(jit_ticks "$BW_PID")" 'BEGIN {print t / 100}')" \
    >"$RES/jit.txt"
log "HTTP: Breakwater's JIT settled after $(($(date +%s) - JIT_START)) s more of warm-up ($(cat "$RES/jit.txt"))"

for r in $(seq 1 "$ROUNDS"); do
    log "HTTP round $r/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
    for t in "${TARGETS[@]}"; do
        run_wrk "$t" lat "$r" 1 1 "$D_LAT"
        run_wrk "$t" thr "$r" 2 64 "$D_THR"
    done
    echo "round=$r load=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES/load.txt"
done
echo "$(vm_kb "$BW_PID" VmHWM) $(vm_kb "$BW_PID" VmRSS) $(heap_used_kb "$BW_PID")" >"$RES/http_mem_kb.txt"

if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
    log "profile: 20 s JFR during a 64-connection run"
    jcmd "$BW_PID" JFR.start name=bench settings=profile duration=20s filename="$RES/breakwater.jfr" >/dev/null
    timeout 60 wrk -t2 -c64 -d20s --timeout 5s -s "$BENCH/wrk-post.lua" "http://127.0.0.1:$P_BW" >/dev/null
    sleep 2
    jfr print --stack-depth 64 --events jdk.ExecutionSample "$RES/breakwater.jfr" >"$RES/samples.txt" || true
    # Top frame of each sample (self time), then every Breakwater frame (inclusive), 25 each. awk, not head: with
    # pipefail, head closing the pipe early would fail the script.
    awk '/stackTrace = \[/ {getline; sub(/^[ \t]+/, ""); sub(/[ \t]+line:.*/, ""); print}' "$RES/samples.txt" \
        | sort | uniq -c | sort -rn | awk 'NR <= 25' >"$RES/profile-top.txt" || true
    awk '/^[ \t]+dev\.breakwater.*line:/ {sub(/^[ \t]+/, ""); sub(/[ \t]+line:.*/, ""); print}' "$RES/samples.txt" \
        | sort | uniq -c | sort -rn | awk 'NR <= 25' >"$RES/profile-breakwater.txt" || true
fi
stop_breakwater
for pid in "${PIDS[@]:1}"; do stop_pid "$pid"; done
PIDS=("${PIDS[0]}")

# ================================================================================================ 2. SSE
log "SSE: $SSE_STREAMS streams x $SSE_EVENTS events every ${SSE_INTERVAL} ms, $SSE_ROUNDS round(s)"
node "$BENCH/sse-upstream.mjs" --port "$P_SSE" --events "$SSE_EVENTS" --interval "$SSE_INTERVAL" 2>/dev/null & PIDS+=($!)
start_breakwater "$RES/ready_ms.txt" sse
wait_http "http://127.0.0.1:$P_SSE/stats" 200 || die "SSE upstream did not start"
sse_run() { # label url streams
    timeout 120 node "$BENCH/sse-load.mjs" --url "$2" --streams "$3" --events "$SSE_EVENTS" \
        --interval "$SSE_INTERVAL" --ramp "$SSE_RAMP" --label "$1"
}
# Warm-up, not recorded: JIT for the streaming path at full size (on 2 cores the C2 compiler competes with the
# load, and a cold first round shows TTFE in the hundreds of ms), and the client's own JIT.
# Streams exercise code the HTTP bench does not (1,000 connections opened and closed a second, event framing),
# and C2 keeps compiling it run after run: warm with full-size runs until one costs the compiler threads under
# 10 % of a core over the run (at most SSE_WARM_MAX runs), as for the HTTP bench. Recorded in jit-sse.txt.
sse_run warm "http://127.0.0.1:$P_BW/sse/v1/chat/completions" 200 >/dev/null
SSE_WARM_START=$(date +%s)
sse_warm_runs=0
for _ in $(seq 1 "$SSE_WARM_MAX"); do
    before=$(jit_ticks "$BW_PID")
    t0=$(date +%s%N)
    sse_run warm "http://127.0.0.1:$P_BW/sse/v1/chat/completions" "$SSE_STREAMS" >/dev/null
    t1=$(date +%s%N)
    after=$(jit_ticks "$BW_PID")
    sse_warm_runs=$((sse_warm_runs + 1))
    # ticks are 1/100 s: under 10 % of a core means under (run ms / 100) / 10 ticks
    (((after - before) * 100 <= (t1 - t0) / 1000000)) && break
done
echo "jit_settled_s=$(($(date +%s) - SSE_WARM_START)) runs=$sse_warm_runs last_run_jit_ticks=$((after - before))" \
    >"$RES/jit-sse.txt"
log "SSE: warmed by $sse_warm_runs full run(s) ($(cat "$RES/jit-sse.txt"))"
sse_run warm "http://127.0.0.1:$P_SSE/v1/chat/completions" 200 >/dev/null
for r in $(seq 1 "$SSE_ROUNDS"); do
    log "SSE round $r/$SSE_ROUNDS"
    echo "{\"round\":$r,\"result\":$(sse_run direct "http://127.0.0.1:$P_SSE/v1/chat/completions" "$SSE_STREAMS")}" >>"$RES/sse.jsonl"
    echo "{\"round\":$r,\"result\":$(sse_run breakwater "http://127.0.0.1:$P_BW/sse/v1/chat/completions" "$SSE_STREAMS")}" >>"$RES/sse.jsonl"
    # The same through a route that commits at the headers (stream.commit-on-first-event: false): the cost of
    # holding each stream until its first event.
    echo "{\"round\":$r,\"result\":$(sse_run breakwater-at-headers "http://127.0.0.1:$P_BW/sse-h/v1/chat/completions" "$SSE_STREAMS")}" >>"$RES/sse.jsonl"
done
echo "$(vm_kb "$BW_PID" VmHWM) $(vm_kb "$BW_PID" VmRSS) $(heap_used_kb "$BW_PID")" >"$RES/sse_mem_kb.txt"
stop_breakwater
for pid in "${PIDS[@]:1}"; do stop_pid "$pid"; done
PIDS=("${PIDS[0]}")

# ================================================================================================ 3. failure path
log "failure path: 429 + Retry-After: 1 for 1 s in every 5 s"
node "$BENCH/ratelimit-upstream.mjs" --port "$P_RL" --mode window --offset 2000 --period 5000 --closed 1000 \
    --retry-after 1 2>/dev/null & PIDS+=($!)
start_breakwater "$RES/ready_ms.txt" failure
wait_http "http://127.0.0.1:$P_RL/stats" 200 || die "429 upstream did not start"
RL_URL="http://127.0.0.1:$P_BW/rl/v1/chat/completions"
# Warm-up (JIT), against the upstream's open phase: its first closed window starts 2 s after its first request.
timeout 30 node "$BENCH/failure-load.mjs" --url "$RL_URL" --clients 50 --duration 1500 >/dev/null

# Samples heap in use (no forced GC) and RSS every 500 ms until the file $2 exists; bounded by $3 s.
sample_mem() { # out stopfile seconds
    local n=$(($3 * 2))
    for _ in $(seq 1 "$n"); do
        [[ -f $2 ]] && break
        echo "$(date +%s%N) $(heap_used_kb "$BW_PID") $(vm_kb "$BW_PID" VmRSS)" >>"$1" 2>/dev/null || true
        sleep 0.5
    done
}

fail_run() { # label think_ms duration_ms
    curl -s -X POST "http://127.0.0.1:$P_RL/reset?mode=window" >/dev/null
    rm -f "$WORK/stop-sampler"
    sample_mem "$RES/fail_$1_mem.txt" "$WORK/stop-sampler" $(($3 / 1000 + 40)) &
    local sampler=$!
    PIDS+=("$sampler")
    timeout $(($3 / 1000 + 40)) node "$BENCH/failure-load.mjs" --url "$RL_URL" --clients 200 --think "$2" \
        --duration "$3" --models bench-model-a,bench-model-b >"$RES/fail_$1_client.json"
    touch "$WORK/stop-sampler"
    wait "$sampler" || true
    curl -s "http://127.0.0.1:$P_RL/stats" >"$RES/fail_$1_upstream.json"
}
log "failure path: 200 agents (think 250 ms), $((FAIL_AGENTS_MS / 1000)) s"
fail_run agents 250 "$FAIL_AGENTS_MS"
log "failure path: 200 clients without think time, $((FAIL_STRESS_MS / 1000)) s"
fail_run stress 0 "$FAIL_STRESS_MS"

# Held requests: one request gets 429 + Retry-After: HOLD_S, which closes the gate; then HOLD_N requests for the
# same model arrive and are held. Full-GC heap before, twice while held, and after.
limit=$(ulimit -n)
if ((limit < HOLD_N + 2000)); then
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    limit=$(ulimit -n)
fi
if ((limit < HOLD_N + 2000)); then
    log "ulimit -n is $limit: holding $((limit - 2000)) requests instead of $HOLD_N"
    HOLD_N=$((limit - 2000))
fi
log "failure path: $HOLD_N requests held at the gate for up to ${HOLD_S}s"
curl -s -X POST "http://127.0.0.1:$P_RL/reset?mode=hold&hold=$HOLD_S" >/dev/null
base=$(heap_after_gc_kb "$BW_PID")
base_rss=$(vm_kb "$BW_PID" VmRSS)
rm -f "$WORK/hold-marker"
timeout $((HOLD_S + 60)) node "$BENCH/failure-load.mjs" --mode hold --url "$RL_URL" --requests "$HOLD_N" \
    --ramp 3000 --marker "$WORK/hold-marker" --timeout $(((HOLD_S + 30) * 1000)) >"$RES/hold_client.json" &
hold_client=$!
PIDS+=("$hold_client")
for _ in $(seq 1 300); do [[ -f $WORK/hold-marker ]] && break; sleep 0.1; done
[[ -f $WORK/hold-marker ]] || die "hold client did not send its requests"
sleep 2
held_a=$(heap_after_gc_kb "$BW_PID"); rss_a=$(vm_kb "$BW_PID" VmRSS); fd_a=$(ls "/proc/$BW_PID/fd" | wc -l)
t_a=$(date +%s%N)
sleep $((HOLD_S / 2))
held_b=$(heap_after_gc_kb "$BW_PID"); rss_b=$(vm_kb "$BW_PID" VmRSS); fd_b=$(ls "/proc/$BW_PID/fd" | wc -l)
t_b=$(date +%s%N)
wait "$hold_client" || true
sleep 1
after=$(heap_after_gc_kb "$BW_PID"); rss_after=$(vm_kb "$BW_PID" VmRSS)
curl -s "http://127.0.0.1:$P_RL/stats" >"$RES/hold_upstream.json"
cat >"$RES/hold_mem.json" <<EOF
{"held":$HOLD_N,"hold_s":$HOLD_S,"heap_base_kb":$base,"rss_base_kb":$base_rss,"heap_a_kb":$held_a,"rss_a_kb":$rss_a,"fd_a":$fd_a,"heap_b_kb":$held_b,"rss_b_kb":$rss_b,"fd_b":$fd_b,"b_minus_a_s":$(((t_b - t_a) / 1000000000)),"heap_after_kb":$after,"rss_after_kb":$rss_after,"hwm_kb":$(vm_kb "$BW_PID" VmHWM)}
EOF
echo "$(vm_kb "$BW_PID" VmHWM) $(vm_kb "$BW_PID" VmRSS) $(heap_used_kb "$BW_PID")" >"$RES/fail_mem_kb.txt"
stop_breakwater
for pid in "${PIDS[@]:1}"; do stop_pid "$pid"; done
PIDS=("${PIDS[0]}")
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES/meta.txt"
read -r CPU_TOTAL1 CPU_STEAL1 < <(cpu_counters)
echo "steal_pct=$(awk -v t=$((CPU_TOTAL1 - CPU_TOTAL0)) -v s=$((CPU_STEAL1 - CPU_STEAL0)) \
    'BEGIN {printf "%.1f", (t > 0 ? 100 * s / t : 0)}')" >>"$RES/meta.txt"

# ================================================================================================ report
node "$BENCH/report.mjs" "$RES" | tee "$RES/report.md"
