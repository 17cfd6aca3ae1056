#!/usr/bin/env bash
# Breakwater soak test: the packaged jar under a bounded, mixed, fault-injected load, watched for growth.
#
#   bash bench/soak.sh             full run: SOAK_SECONDS of load (default 600 s), sample every 10 s
#   bash bench/soak.sh --short     CI form: 75 s of load, sample every 5 s; <= 2 minutes wall time in all
#
# Hold the build lock for the whole run on a shared machine, so builds do not skew the figures:
#   flock /tmp/mvn.lock bash bench/soak.sh
# (The script therefore never builds: target/breakwater.jar must exist, e.g. after `mvn -B verify`.)
#
# What it starts, all on 127.0.0.1 (free ports chosen at start), all stopped on exit:
#   1. bench/faulty-upstream.mjs, seeded by SOAK_SEED: 200 JSON, 200 SSE, 429 with a short retry-after-ms or
#      Retry-After, 500, 503, reset before headers, stall < the response timeout, mid-stream cut, keep-alive
#      connection closed ~2 ms after a response.
#   2. Breakwater from a private copy of target/breakwater.jar with bench/breakwater-soak.yaml (retries, gate and
#      breaker on, short timeouts), started by bin/breakwater with its default JVM flags. INFO log lines are
#      dropped, the rest kept.
#   3. bench/soak-load.mjs: SOAK_CONCURRENCY (50) closed-loop clients for SOAK_SECONDS: chat POSTs, SSE streams,
#      8 KiB-1 MiB uploads (some above max-replay-body), GETs and tool POSTs with and without Idempotency-Key.
# Every SAMPLE_SECONDS it records, for the Breakwater process: RSS (VmRSS), heap used after a forced full GC
# (jcmd GC.run, then jstat -gc: S0U+S1U+EU+OU), open fds (/proc/PID/fd) and threads (/proc/PID/status).
# Output: samples.csv, client.json, upstream.json, summary.txt, verdict.json in SOAK_OUT (default a new
# /tmp/breakwater-soak.XXXXXX).
#
# FAILS (exit 1) when any of these holds. "Growth" compares the median of the last third of the samples with
# the median of the second third (the first third is warm-up); for the heap it compares the lowest sample of each
# third instead, since heap after a full GC still holds whatever requests are in flight at that instant (up to 50
# buffered bodies of 512 KiB) while a leak raises the floor:
#   - heap after GC grows by more than 20 % AND more than 8 MiB
#   - RSS grows by more than 25 % AND more than 32 MiB
#   - open fds grow by more than 50
#   - threads grow by more than 5
#   - the Breakwater process died, or did not exit 0 within shutdown-grace + 5 s of SIGTERM
#   - any client request hung: no complete response 4 s after the route's total timeout (6 s) from its start
#   - the client saw something that is not a valid HTTP response: an HTTP parse error, a connection that failed
#     before any response header (other than the keep-alive reuse race, which is reported), a body cut whose
#     response the upstream did not cut, or a 200 body that does not match what was sent
#   - fewer than 6 usable samples, or the load client overran its time limit
# 5xx and 429 responses and cut bodies caused by the injected faults are expected: they are counted and
# reported, never failures. Exit 2 on a usage or setup error.
#
# Environment:
#   SOAK_SECONDS      load duration in seconds (default 600; 75 with --short)
#   SAMPLE_SECONDS    sampling period (default 10; 5 with --short)
#   SOAK_SEED         seed of the upstream's fates and of the client's request mix (default 42)
#   SOAK_CONCURRENCY  client concurrency (default 50)
#   SOAK_JAVA_OPTS    JVM flags, added after bin/breakwater's defaults (later flags win)
#   SOAK_OUT          output directory (default: a new /tmp/breakwater-soak.XXXXXX)
#   SOAK_FULL_LOG=1   keep Breakwater's INFO lines too (request and retry lines: large, for debugging a failure)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
MODE=full
for a in "$@"; do
    case $a in
        --short) MODE=short ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown argument: $a (see --help)" >&2; exit 2 ;;
    esac
done
if [[ $MODE == short ]]; then
    SOAK_SECONDS=${SOAK_SECONDS:-75}
    SAMPLE_SECONDS=${SAMPLE_SECONDS:-5}
else
    SOAK_SECONDS=${SOAK_SECONDS:-600}
    SAMPLE_SECONDS=${SAMPLE_SECONDS:-10}
fi
SOAK_SEED=${SOAK_SEED:-42}
SOAK_CONCURRENCY=${SOAK_CONCURRENCY:-50}
JAVA_OPTS_SOAK=${SOAK_JAVA_OPTS:-}
TOTAL_TIMEOUT_MS=6000                 # timeouts.total in bench/breakwater-soak.yaml
HANG_MS=$((TOTAL_TIMEOUT_MS + 4000))  # a request with no complete response after this is "hung"
SHUTDOWN_GRACE_S=5                    # shutdown-grace in bench/breakwater-soak.yaml

T_START=$(date +%s%N)
LOG_TAG=soak
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $SOAK_SECONDS =~ ^[0-9]+$ && $SOAK_SECONDS -ge 10 && $SOAK_SECONDS -le 86400 ]] || die "SOAK_SECONDS must be 10..86400"
[[ $SAMPLE_SECONDS =~ ^[0-9]+$ && $SAMPLE_SECONDS -ge 1 ]] || die "SAMPLE_SECONDS must be >= 1"
for tool in java jcmd jstat node; do
    command -v "$tool" >/dev/null || die "$tool not found (needs a JDK 17+ with jcmd/jstat, and Node.js 18+)"
done
JAR="$ROOT/target/breakwater.jar"
[[ -f $JAR ]] || die "target/breakwater.jar is missing: build it first (mvn -B package -DskipTests, or mvn -B verify)"

OUT=${SOAK_OUT:-$(mktemp -d /tmp/breakwater-soak.XXXXXX)}
mkdir -p "$OUT"
cp "$JAR" "$OUT/breakwater.jar" # a private copy: a rebuild during the run cannot change the jar under the JVM
# bin/breakwater runs that copy (never building); java from the PATH, like jcmd and jstat below.
export BREAKWATER_JAR="$OUT/breakwater.jar" JAVA=java
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_started 50
    rm -f "$OUT/breakwater.jar"
    log "results in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
    echo "mode=$MODE"
    echo "soak_seconds=$SOAK_SECONDS"
    echo "sample_seconds=$SAMPLE_SECONDS"
    echo "seed=$SOAK_SEED"
    echo "concurrency=$SOAK_CONCURRENCY"
    echo "java_opts=$(JAVA_OPTS="$JAVA_OPTS_SOAK" BREAKWATER_DRY_RUN=1 "$ROOT/bin/breakwater" | sed -E 's/^[^ ]+ //; s/ -jar .*$//')"
    echo "max_heap_growth_pct=20"
    echo "max_heap_growth_mib=8"
    echo "max_rss_growth_pct=25"
    echo "max_rss_growth_mib=32"
    echo "max_fd_growth=50"
    echo "max_thread_growth=5"
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc=$(nproc)"
    echo "java=$(java -version 2>&1 | head -1)"
    echo "node=$(node --version)"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.env"

# ------------------------------------------------------------------------------------------------ upstream
node "$BENCH/faulty-upstream.mjs" --port 0 --seed "$SOAK_SEED" --portfile "$OUT/upstream.port" \
    >"$OUT/upstream.out" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
for _ in $(seq 1 100); do [[ -s $OUT/upstream.port ]] && break; sleep 0.05; done
[[ -s $OUT/upstream.port ]] || { cat "$OUT/upstream.out" >&2; die "the faulty upstream did not start"; }
UP_PORT=$(cat "$OUT/upstream.port")

# Two free loopback ports for Breakwater (listen and admin): bound to port 0, read, released.
read -r BW_PORT BW_ADMIN_PORT < <(node -e '
const net = require("node:net");
const a = net.createServer().listen(0, "127.0.0.1", () => {
  const b = net.createServer().listen(0, "127.0.0.1", () => {
    console.log(a.address().port, b.address().port); a.close(); b.close();
  });
});')
[[ -n $BW_PORT && -n $BW_ADMIN_PORT ]] || die "could not find free ports"

# ------------------------------------------------------------------------------------------------ breakwater
export SOAK_BW_PORT=$BW_PORT SOAK_BW_ADMIN_PORT=$BW_ADMIN_PORT SOAK_UPSTREAM_PORT=$UP_PORT
export BREAKWATER_LOG_LEVEL=INFO BREAKWATER_LOG_FORMAT=json
JAVA_OPTS="$JAVA_OPTS_SOAK" "$ROOT/bin/breakwater" --check --config "$BENCH/breakwater-soak.yaml" >/dev/null 2>"$OUT/check.err" \
    || { cat "$OUT/check.err" >&2; die "bench/breakwater-soak.yaml is invalid"; }
# The INFO lines (one or two per request) are dropped on the way to the log; WARN and ERROR are kept.
JAVA_OPTS="$JAVA_OPTS_SOAK" "$ROOT/bin/breakwater" --config "$BENCH/breakwater-soak.yaml" \
    > >(if [[ ${SOAK_FULL_LOG:-0} == 1 ]]; then cat; else grep --line-buffered -v '"level":"INFO"'; fi >"$OUT/breakwater.log") \
    2>"$OUT/breakwater.stderr" &
BW_PID=$!
PIDS+=("$BW_PID")
ready=0
probe() { # url -> status code (curl when present, else node)
    if command -v curl >/dev/null; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true
    else
        node -e 'require("node:http").get(process.argv[1], {timeout: 1000}, (r) => { console.log(r.statusCode); r.resume(); })
            .on("error", () => console.log(0)).on("timeout", function () { this.destroy(); });' "$1" || true
    fi
}
for _ in $(seq 1 300); do # 100 ms polls, at most ~30 s (plus probe time)
    [[ $(probe "http://127.0.0.1:$BW_ADMIN_PORT/readyz") == 200 ]] && { ready=1; break; }
    kill -0 "$BW_PID" 2>/dev/null || break
    sleep 0.1
done
((ready)) || { cat "$OUT/breakwater.stderr" "$OUT/breakwater.log" >&2; die "Breakwater did not become ready"; }
T_READY=$(date +%s%N)
log "mode $MODE: Breakwater pid $BW_PID on 127.0.0.1:$BW_PORT (admin $BW_ADMIN_PORT), upstream :$UP_PORT, seed $SOAK_SEED;"
log "  ${SOAK_SECONDS}s of load at concurrency $SOAK_CONCURRENCY, sampling every ${SAMPLE_SECONDS}s; output $OUT"

# ------------------------------------------------------------------------------------------------ load
CLIENT_LIMIT=$((SOAK_SECONDS + HANG_MS / 1000 + 30))
timeout "$CLIENT_LIMIT" node "$BENCH/soak-load.mjs" --base "http://127.0.0.1:$BW_PORT" \
    --concurrency "$SOAK_CONCURRENCY" --duration $((SOAK_SECONDS * 1000)) --seed "$SOAK_SEED" --hang-ms "$HANG_MS" \
    --progress-file "$OUT/progress.json" >"$OUT/client.json" 2>"$OUT/client.stderr" &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")

# ------------------------------------------------------------------------------------------------ sampling
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
echo "t_s,rss_kb,heap_after_gc_kb,fds,threads,requests" >"$OUT/samples.csv"
died=0
T_LOAD=$(date +%s)
max_samples=$((SOAK_SECONDS / SAMPLE_SECONDS + 2))
for i in $(seq 1 "$max_samples"); do
    next=$((T_LOAD + i * SAMPLE_SECONDS))
    while (($(date +%s) < next)); do
        kill -0 "$CLIENT_PID" 2>/dev/null || break 2
        kill -0 "$BW_PID" 2>/dev/null || break 2
        sleep 0.5
    done
    kill -0 "$BW_PID" 2>/dev/null || break
    # Forced full GC, then the heap in use (KiB). Bounded: a JVM that does not answer in 20 s yields an empty value.
    timeout 20 jcmd "$BW_PID" GC.run >/dev/null 2>&1 || true
    heap=$(timeout 20 jstat -gc "$BW_PID" 2>/dev/null | awk 'NR == 2 {printf "%d\n", $3 + $4 + $6 + $8}' || true)
    rss=$(status_kb "$BW_PID" VmRSS)
    threads=$(status_kb "$BW_PID" Threads)
    fds=$(ls "/proc/$BW_PID/fd" 2>/dev/null | wc -l)
    reqs=$(sed -n 's/.*"started":\([0-9]*\).*/\1/p' "$OUT/progress.json" 2>/dev/null || true)
    echo "$(($(date +%s) - T_LOAD)),${rss:-0},${heap:-0},$fds,${threads:-0},${reqs:-0}" >>"$OUT/samples.csv"
    log "sample $i: rss $((${rss:-0} / 1024)) MiB, heap after GC $((${heap:-0} / 1024)) MiB, fds $fds, threads ${threads:-0}, requests ${reqs:-0}"
done

client_timeout=0
client_rc=0
wait "$CLIENT_PID" || client_rc=$?
[[ $client_rc == 124 ]] && client_timeout=1
if ! kill -0 "$BW_PID" 2>/dev/null; then
    died=1
    bw_rc=0
    wait "$BW_PID" || bw_rc=$?
    echo "died_detail=exit status $bw_rc; see $OUT/breakwater.stderr and breakwater.log" >>"$OUT/meta.env"
    tail -n 20 "$OUT/breakwater.stderr" >&2 || true
fi
echo "hwm_kb=$(status_kb "$BW_PID" VmHWM)" >>"$OUT/meta.env"
curl_or_node() { node -e 'require("node:http").get(process.argv[1], (r) => { let b = ""; r.on("data", (c) => b += c);
    r.on("end", () => console.log(b)); }).on("error", () => console.log("null"));' "$1"; }
curl_or_node "http://127.0.0.1:$UP_PORT/__soak/stats" >"$OUT/upstream.json" || true

# Graceful stop: SIGTERM, then up to shutdown-grace + 5 s for exit status 0.
term_exit=
if ((died == 0)); then
    kill -TERM "$BW_PID"
    for _ in $(seq 1 $(((SHUTDOWN_GRACE_S + 5) * 10))); do kill -0 "$BW_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$BW_PID" 2>/dev/null; then
        term_exit="still running $((SHUTDOWN_GRACE_S + 5)) s after SIGTERM"
        kill -KILL "$BW_PID" 2>/dev/null || true
    else
        term_exit=0
        wait "$BW_PID" || term_exit=$?
    fi
fi
T_END=$(date +%s%N)
{
    echo "died=$died"
    echo "client_timeout=$client_timeout"
    echo "client_rc=$client_rc"
    [[ -n $term_exit ]] && echo "term_exit=$term_exit"
    echo "ready_ms=$(((T_READY - T_START) / 1000000))"
    echo "wall_s=$(((T_END - T_START) / 1000000000))"
    echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$OUT/meta.env"

node "$BENCH/soak-report.mjs" "$OUT"
