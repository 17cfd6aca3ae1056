#!/usr/bin/env bash
# Breakwater reliability checks: the packaged jar, with bin/breakwater's JVM flags, against hostile clients and
# faulty upstreams. All traffic on 127.0.0.1 (free ports chosen at start); everything started here is stopped
# on exit; every client run is bounded in time.
#
#   flock /tmp/mvn.lock bash bench/reliability.sh      (hold the build lock on a shared machine; never builds)
#
# Checks (each PASS/FAIL in the summary table; exit 1 when any acceptance check fails, 2 on a setup error):
#   1. header-only: REL_HEADER_CONNS (100) connections each send `POST /up/x` with Content-Length: 8388608 and no
#      body (route /up/: POST retried, max-replay-body 8MiB, limits default). While they are held: the process is
#      alive, a normal request answers 200, admin /healthz answers 200. Reported: RSS and
#      breakwater_buffered_body_bytes (admin /metrics) while held.
#   2. uploads: REL_UPLOADS (100) concurrent uploads of REL_UPLOAD_BYTES (8 MiB) distinct bodies to an upstream
#      that hashes them: every answer 200 with the right SHA-256 and byte count, process alive. Peak RSS reported.
#   3. idle: up to REL_IDLE_CONNS (20000) idle TCP connections, opened from one source address (3a) and from
#      REL_IDLE_SOURCES (20) loopback addresses 127.0.0.1..N (3b); then a normal request answers 200 and /healthz
#      answers 200, and the log has no "Too many open files". Reported: connections opened, closed by the proxy.
#   4. keep-alive close race: REL_KA_REQUESTS (1000) sequential POSTs without Idempotency-Key, unique bodies, to an
#      upstream that closes each connection 2 ms after responding, variants "end" (end() then destroy()) and
#      "destroy" (destroy() only); retry-methods default. Acceptance: zero 502, every body processed exactly once.
#   5. seeded fault load: bench/failure-load.mjs, 200 closed-loop clients for REL_FAULT_SECONDS (60) against
#      bench/faulty-upstream.mjs (seed REL_SEED), once with rate-limit gate and breaker at their defaults (on),
#      once with both off. Acceptance: every request answered (no unfinished request, no connection error) in
#      both runs, and throughput with both on >= half of throughput with both off.
#
# Output in REL_OUT (default a new /tmp/breakwater-reliability.XXXXXX): results.tsv, summary.txt, one JSON
# per client run, breakwater-*.log (stdout, INFO lines dropped unless REL_FULL_LOG=1) and *.stderr, rss-*.csv.
#
# Environment (defaults keep the whole run under ~7 minutes on 2 cores):
#   REL_HEADER_CONNS=100 REL_UPLOADS=100 REL_UPLOAD_BYTES=8388608 REL_IDLE_CONNS=20000 REL_IDLE_SOURCES=20
#   REL_KA_REQUESTS=1000 REL_FAULT_SECONDS=60 REL_FAULT_CLIENTS=200 REL_SEED=42
#   REL_FAULT_MODES="on off" (check 5's runs; also "gate" = gate on, breaker off, "breaker" = the reverse)
#   REL_JAVA_OPTS (added after bin/breakwater's default flags) REL_OUT REL_FULL_LOG=1 REL_ONLY="1 2 3 4 5" (a subset)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
REL_HEADER_CONNS=${REL_HEADER_CONNS:-100}
REL_UPLOADS=${REL_UPLOADS:-100}
REL_UPLOAD_BYTES=${REL_UPLOAD_BYTES:-8388608}
REL_IDLE_CONNS=${REL_IDLE_CONNS:-20000}
REL_IDLE_SOURCES=${REL_IDLE_SOURCES:-20}
REL_KA_REQUESTS=${REL_KA_REQUESTS:-1000}
REL_FAULT_SECONDS=${REL_FAULT_SECONDS:-60}
REL_FAULT_CLIENTS=${REL_FAULT_CLIENTS:-200}
REL_SEED=${REL_SEED:-42}
REL_FAULT_MODES=${REL_FAULT_MODES:-on off}
REL_ONLY=${REL_ONLY:-1 2 3 4 5}
JOPTS=${REL_JAVA_OPTS:-}

LOG_TAG=reliability
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for tool in java node curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
JAR="$ROOT/target/breakwater.jar"
[[ -f $JAR ]] || die "target/breakwater.jar is missing: build it first (mvn -B package -DskipTests)"
OUT=${REL_OUT:-$(mktemp -d /tmp/breakwater-reliability.XXXXXX)}
mkdir -p "$OUT"
cp "$JAR" "$OUT/breakwater.jar"
# bin/breakwater runs that private copy (never building), with java from the PATH.
export BREAKWATER_JAR="$OUT/breakwater.jar" JAVA=java
TOOLS="$BENCH/reliability-tools.mjs"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_started 5
    rm -f "$OUT/breakwater.jar"
    log "results in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "worktree_dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)"
    echo "jar_mtime=$(date -u -r "$JAR" +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc=$(nproc)"
    echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "java=$(java -version 2>&1 | head -1)"
    echo "node=$(node --version)"
    echo "java_opts=$(JAVA_OPTS="$JOPTS" BREAKWATER_DRY_RUN=1 "$ROOT/bin/breakwater" | sed -E 's/^[^ ]+ //; s/ -jar .*$//')"
    echo "ulimit_n=$(ulimit -n)"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.env"

echo -e "check\titem\tvalue\tverdict" >"$OUT/results.tsv"
FAILED=0
rec() { # check item value [verdict]
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$OUT/results.tsv"
    [[ ${4:-} == FAIL ]] && FAILED=1
    log "$1 | $2: $3 ${4:-}"
    return 0
}
accept() { # check item value ok(1/0)
    if [[ $4 == 1 ]]; then rec "$1" "$2" "$3" PASS; else rec "$1" "$2" "$3" FAIL; fi
}

free_ports() { # n -> n free loopback ports
    node -e '
const net = require("node:net"); const n = Number(process.argv[1]); const s = []; const ports = [];
const next = () => { if (s.length === n) { console.log(ports.join(" ")); s.forEach((x) => x.close()); return; }
  const x = net.createServer().listen(0, "127.0.0.1", () => { ports.push(x.address().port); s.push(x); next(); }); };
next();' "$1"
}
start_node() { # name portfile args... -> sets STARTED_PID, waits for the port file
    local name=$1 pf=$2
    shift 2
    node "$TOOLS" "$@" --portfile "$pf" >"$OUT/$name.out" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    for _ in $(seq 1 100); do [[ -s $pf ]] && return 0; sleep 0.05; done
    die "$name did not start"
}
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-5}" "${@:3}" "$1" || true; }
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '$1 == "VmHWM:" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
metric() { # admin_port name -> value (sum over series)
    curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 {s += $2; f = 1} END {if (f) printf "%.0f\n", s; else print "n/a"}'
}
RSS_SAMPLER=
rss_sampler_start() { # pid file: VmRSS every 200 ms, at most 15 minutes
    (for _ in $(seq 1 4500); do kill -0 "$1" 2>/dev/null || break; echo "$(date +%s.%N),$(rss_kb "$1")"; sleep 0.2; done) >"$2" &
    RSS_SAMPLER=$!
}
rss_sampler_stop() { kill "$RSS_SAMPLER" 2>/dev/null || true; wait "$RSS_SAMPLER" 2>/dev/null || true; awk -F, '$2 > m {m = $2} END {printf "%.1f\n", m / 1024}' "$1"; }

BW_PID=
start_bw() { # name config -> BW_PID; env REL_BW_PORT/REL_BW_ADMIN_PORT set by the caller
    local name=$1 cfg=$2
    export BREAKWATER_LOG_LEVEL=INFO BREAKWATER_LOG_FORMAT=json
    JAVA_OPTS="$JOPTS" "$ROOT/bin/breakwater" --config "$cfg" \
        > >(if [[ ${REL_FULL_LOG:-0} == 1 ]]; then cat; else grep --line-buffered -v '"level":"INFO"'; fi >"$OUT/breakwater-$name.log") \
        2>"$OUT/breakwater-$name.stderr" &
    BW_PID=$!
    PIDS+=("$BW_PID")
    for _ in $(seq 1 300); do
        [[ $(http_code "http://127.0.0.1:$REL_BW_ADMIN_PORT/readyz" 1) == 200 ]] && {
            log "$name: Breakwater pid $BW_PID on :$REL_BW_PORT (admin :$REL_BW_ADMIN_PORT), fd limit $(awk '/Max open files/ {print $4}' /proc/$BW_PID/limits)"
            return 0; }
        kill -0 "$BW_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$OUT/breakwater-$name.stderr" >&2
    die "Breakwater ($name) did not become ready"
}
log_levels() { # name -> "WARN n, ERROR n" in Breakwater's log (INFO lines are dropped unless REL_FULL_LOG=1)
    local w e
    w=$(grep -c '"level":"WARN"' "$OUT/breakwater-$1.log" 2>/dev/null || true)
    e=$(grep -c '"level":"ERROR"' "$OUT/breakwater-$1.log" 2>/dev/null || true)
    echo "WARN ${w:-0}, ERROR ${e:-0}, stderr lines $(wc -l <"$OUT/breakwater-$1.stderr" 2>/dev/null || echo 0)"
}
stop_bw() { # name
    local rc=0
    kill -TERM "$BW_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$BW_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -KILL "$BW_PID" 2>/dev/null; then rc="killed (still running 10 s after SIGTERM)"; wait "$BW_PID" 2>/dev/null || true
    else wait "$BW_PID" 2>/dev/null || rc=$?; fi
    echo "$1_exit=$rc" >>"$OUT/meta.env"
    accept "$1" "exit status on SIGTERM" "$rc" "$([[ $rc == 0 ]] && echo 1 || echo 0)"
    rec "$1" "log lines" "$(log_levels "$1")"
}
alive() { kill -0 "$BW_PID" 2>/dev/null && echo 1 || echo 0; }
too_many_files() { cat "$OUT/breakwater-$1.log" "$OUT/breakwater-$1.stderr" 2>/dev/null | grep -c 'Too many open files' || true; }
jq_() { node -e 'const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = (new Function("o", "return " + process.argv[2]))(o); console.log(typeof v === "object" ? JSON.stringify(v) : v);' "$@"; }
want() { [[ " $REL_ONLY " == *" $1 "* ]]; }

T0=$(date +%s)
# ================================================================================================ checks 1-4
if want 1 || want 2 || want 3 || want 4; then
    start_node hash-upstream "$OUT/hash.port" hash-upstream
    start_node ka-end-upstream "$OUT/ka-end.port" ka-upstream --variant end
    start_node ka-destroy-upstream "$OUT/ka-destroy.port" ka-upstream --variant destroy
    read -r REL_BW_PORT REL_BW_ADMIN_PORT < <(free_ports 2)
    export REL_BW_PORT REL_BW_ADMIN_PORT REL_HASH_PORT=$(cat "$OUT/hash.port") \
        REL_KA_END_PORT=$(cat "$OUT/ka-end.port") REL_KA_DESTROY_PORT=$(cat "$OUT/ka-destroy.port")
    start_bw main "$BENCH/breakwater-reliability.yaml"
    BASE="http://127.0.0.1:$REL_BW_PORT"
    ADMIN="http://127.0.0.1:$REL_BW_ADMIN_PORT"
    echo "main_fd_limit=$(awk '/Max open files/ {print $4}' /proc/$BW_PID/limits)" >>"$OUT/meta.env"
    rec 0 "idle RSS after start (MiB)" "$(awk "BEGIN {printf \"%.1f\", $(rss_kb "$BW_PID") / 1024}")"
    normal() { http_code "$BASE/up/x" 10 -X POST --data-binary 'hello'; }
fi

if want 1; then
    log "check 1: $REL_HEADER_CONNS header-only 8 MiB POSTs"
    rm -f "$OUT/h1.ready"
    timeout 200 node "$TOOLS" header-only --port "$REL_BW_PORT" --path /up/x --n "$REL_HEADER_CONNS" \
        --ready-file "$OUT/h1.ready" --hold-ms 150000 >"$OUT/1-header-only.json" 2>"$OUT/1-header-only.err" &
    H_PID=$!
    PIDS+=("$H_PID")
    for _ in $(seq 1 100); do [[ -f $OUT/h1.ready ]] && break; sleep 0.1; done
    sleep 2
    a=$(alive); n=$(normal); hz=$(http_code "$ADMIN/healthz")
    rss=$(awk "BEGIN {printf \"%.1f\", $(rss_kb "$BW_PID") / 1024}")
    buf=$(metric "$REL_BW_ADMIN_PORT" breakwater_buffered_body_bytes)
    lim=$(metric "$REL_BW_ADMIN_PORT" breakwater_buffered_body_limit_bytes)
    f=$(fds "$BW_PID")
    kill -TERM "$H_PID" 2>/dev/null || true
    wait "$H_PID" 2>/dev/null || true
    accept 1 "process alive while held" "$a" "$a"
    accept 1 "normal request while held" "$n" "$([[ $n == 200 ]] && echo 1 || echo 0)"
    accept 1 "admin /healthz while held" "$hz" "$([[ $hz == 200 ]] && echo 1 || echo 0)"
    rec 1 "RSS while held (MiB)" "$rss"
    rec 1 "breakwater_buffered_body_bytes while held" "$buf (limit $lim)"
    rec 1 "proxy fds while held" "$f"
    rec 1 "header-only client result" "$(cat "$OUT/1-header-only.json")"
    sleep 1
    accept 1 "process alive after" "$(alive)" "$(alive)"
fi

if want 2; then
    log "check 2: $REL_UPLOADS concurrent uploads of $REL_UPLOAD_BYTES bytes"
    rss_sampler_start "$BW_PID" "$OUT/rss-2-uploads.csv"
    timeout 300 node "$TOOLS" uploads --url "$BASE/up/upload" --n "$REL_UPLOADS" --size "$REL_UPLOAD_BYTES" \
        --timeout-ms 240000 >"$OUT/2-uploads.json" 2>"$OUT/2-uploads.err" || true
    peak=$(rss_sampler_stop "$OUT/rss-2-uploads.csv")
    okn=$(jq_ "$OUT/2-uploads.json" 'o.ok' 2>/dev/null || echo 0)
    accept 2 "answered 200 with the right SHA-256 and size" "$okn / $REL_UPLOADS" "$([[ $okn == "$REL_UPLOADS" ]] && echo 1 || echo 0)"
    rec 2 "client result" "$(cat "$OUT/2-uploads.json")"
    accept 2 "process alive after" "$(alive)" "$(alive)"
    rec 2 "peak RSS during uploads (MiB, 200 ms samples)" "$peak"
    rec 2 "breakwater_buffered_body_bytes after" "$(metric "$REL_BW_ADMIN_PORT" breakwater_buffered_body_bytes)"
fi

if want 3; then
    # The client needs one fd per connection: raise its soft limit as far as the hard limit allows.
    for sub in a b; do
        if [[ $sub == a ]]; then srcs=1; else srcs=$REL_IDLE_SOURCES; fi
        log "check 3$sub: up to $REL_IDLE_CONNS idle connections from $srcs source address(es)"
        rm -f "$OUT/idle.ready"
        before_fds=$(fds "$BW_PID")
        (
            ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
            exec timeout 300 node "$TOOLS" idle --port "$REL_BW_PORT" --n "$REL_IDLE_CONNS" --sources "$srcs" \
                --ready-file "$OUT/idle.ready" --hold-ms 200000
        ) >"$OUT/3$sub-idle.json" 2>"$OUT/3$sub-idle.err" &
        I_PID=$!
        PIDS+=("$I_PID")
        for _ in $(seq 1 1200); do [[ -f $OUT/idle.ready ]] && break; kill -0 "$I_PID" 2>/dev/null || break; sleep 0.1; done
        sleep 3
        held_fds=$(fds "$BW_PID")
        a=$(alive); n=$(normal); hz=$(http_code "$ADMIN/healthz")
        rss=$(awk "BEGIN {printf \"%.1f\", $(rss_kb "$BW_PID") / 1024}")
        kill -TERM "$I_PID" 2>/dev/null || true
        wait "$I_PID" 2>/dev/null || true
        accept "3$sub" "process alive while held" "$a" "$a"
        accept "3$sub" "normal request while held" "$n" "$([[ $n == 200 ]] && echo 1 || echo 0)"
        accept "3$sub" "admin /healthz while held" "$hz" "$([[ $hz == 200 ]] && echo 1 || echo 0)"
        rec "3$sub" "idle client result" "$(cat "$OUT/3$sub-idle.json")"
        rec "3$sub" "proxy fds before / while held" "$before_fds / $held_fds"
        rec "3$sub" "RSS while held (MiB)" "$rss"
        tm=$(too_many_files main)
        accept "3$sub" "'Too many open files' in the log" "$tm" "$([[ $tm == 0 ]] && echo 1 || echo 0)"
        sleep 2
    done
fi

if want 4; then
    for v in end destroy; do
        if [[ $v == end ]]; then p=/ka1/x; else p=/ka2/x; fi
        log "check 4 ($v): $REL_KA_REQUESTS sequential POSTs, upstream closes 2 ms after each response"
        uport=$(cat "$OUT/ka-$v.port")
        timeout 200 node "$TOOLS" ka-client --url "$BASE$p" --n "$REL_KA_REQUESTS" --tag "$v" \
            --stats "http://127.0.0.1:$uport/__stats" --timeout-ms 180000 >"$OUT/4-ka-$v.json" 2>"$OUT/4-ka-$v.err" || true
        s502=$(jq_ "$OUT/4-ka-$v.json" 'o.statuses["502"] ?? 0' 2>/dev/null || echo "?")
        s200=$(jq_ "$OUT/4-ka-$v.json" 'o.statuses["200"] ?? 0' 2>/dev/null || echo "?")
        once=$(jq_ "$OUT/4-ka-$v.json" 'o.processed.once' 2>/dev/null || echo "?")
        accept "4-$v" "502 responses" "$s502 (200: $s200)" "$([[ $s502 == 0 ]] && echo 1 || echo 0)"
        accept "4-$v" "bodies processed exactly once" "$once / $REL_KA_REQUESTS" "$([[ $once == "$REL_KA_REQUESTS" ]] && echo 1 || echo 0)"
        rec "4-$v" "client result" "$(cat "$OUT/4-ka-$v.json")"
    done
fi

if want 1 || want 2 || want 3 || want 4; then
    accept end "main process alive at the end" "$(alive)" "$(alive)"
    echo "main_hwm_kb=$(hwm_kb "$BW_PID")" >>"$OUT/meta.env"
    rec end "main process peak RSS, VmHWM (MiB)" "$(awk "BEGIN {printf \"%.1f\", $(hwm_kb "$BW_PID") / 1024}")"
    stop_bw main
fi

# ================================================================================================ check 5
if want 5; then
    declare -A TPUT
    for mode in $REL_FAULT_MODES; do
        rm -f "$OUT/fault.port"
        node "$BENCH/faulty-upstream.mjs" --port 0 --seed "$REL_SEED" --portfile "$OUT/fault.port" >"$OUT/fault-$mode.out" 2>&1 &
        UP_PID=$!
        PIDS+=("$UP_PID")
        for _ in $(seq 1 100); do [[ -s $OUT/fault.port ]] && break; sleep 0.05; done
        read -r REL_BW_PORT REL_BW_ADMIN_PORT < <(free_ports 2)
        export REL_BW_PORT REL_BW_ADMIN_PORT REL_UPSTREAM_PORT=$(cat "$OUT/fault.port")
        case $mode in
            on) export REL_GATE=true REL_BREAKER=true ;;
            off) export REL_GATE=false REL_BREAKER=false ;;
            gate) export REL_GATE=true REL_BREAKER=false ;;
            breaker) export REL_GATE=false REL_BREAKER=true ;;
            *) die "REL_FAULT_MODES: unknown mode $mode (on, off, gate, breaker)" ;;
        esac
        start_bw "fault-$mode" "$BENCH/breakwater-fault.yaml"
        log "check 5 ($mode): $REL_FAULT_CLIENTS clients for ${REL_FAULT_SECONDS}s against the seeded faulty upstream"
        rss_sampler_start "$BW_PID" "$OUT/rss-5-$mode.csv"
        t1=$(date +%s.%N)
        timeout $((REL_FAULT_SECONDS + 60)) node "$BENCH/failure-load.mjs" --url "http://127.0.0.1:$REL_BW_PORT/v1/chat/completions" \
            --clients "$REL_FAULT_CLIENTS" --duration $((REL_FAULT_SECONDS * 1000)) >"$OUT/5-fault-$mode.json" 2>"$OUT/5-fault-$mode.err" || true
        t2=$(date +%s.%N)
        peak=$(rss_sampler_stop "$OUT/rss-5-$mode.csv")
        curl -s --max-time 5 "http://127.0.0.1:$REL_UPSTREAM_PORT/__soak/stats" >"$OUT/5-upstream-$mode.json" || true
        curl -s --max-time 5 "http://127.0.0.1:$REL_BW_ADMIN_PORT/metrics" >"$OUT/5-metrics-$mode.txt" || true
        reqs=$(jq_ "$OUT/5-fault-$mode.json" 'o.requests' 2>/dev/null || echo 0)
        unf=$(jq_ "$OUT/5-fault-$mode.json" 'o.unfinished ?? 0' 2>/dev/null || echo "?")
        # failure-load.mjs counts a body cut after the response head (res 'error': the injected mid-stream cut,
        # which Breakwater passes on by resetting the client connection) as response_error; any other error
        # kind is a request that got no response head at all.
        errs=$(jq_ "$OUT/5-fault-$mode.json" 'o.errors - (o.error_kinds.response_error ?? 0)' 2>/dev/null || echo "?")
        cuts=$(jq_ "$OUT/5-fault-$mode.json" 'o.error_kinds.response_error ?? 0' 2>/dev/null || echo "?")
        wall=$(awk "BEGIN {printf \"%.1f\", $t2 - $t1}")
        tput=$(awk "BEGIN {printf \"%.1f\", $reqs / $wall}")
        TPUT[$mode]=$tput
        rec "5-$mode" "requests answered" "$reqs in ${wall}s (client wall time): $tput req/s"
        accept "5-$mode" "unanswered: hung at the end + no response head" "$unf + $errs" "$([[ $unf == 0 && $errs == 0 ]] && echo 1 || echo 0)"
        rec "5-$mode" "answered, then body cut (injected cut fates)" "$cuts (upstream cut fates: $(jq_ "$OUT/5-upstream-$mode.json" 'o.fates.cut' 2>/dev/null))"
        rec "5-$mode" "gate holds / breaker refusals / retries" "$(awk '/^breakwater_retry_wait_seconds_count/ && /reason="gate"/ {g += $2} /^resilience4j_circuitbreaker_not_permitted_calls_total/ {b += $2} /^breakwater_retry_wait_seconds_count/ && !/reason="gate"/ {r += $2} END {printf "%d / %d / %d\n", g, b, r}' "$OUT/5-metrics-$mode.txt")"
        rec "5-$mode" "statuses" "$(jq_ "$OUT/5-fault-$mode.json" 'o.statuses' 2>/dev/null) codes $(jq_ "$OUT/5-fault-$mode.json" 'o.codes' 2>/dev/null)"
        rec "5-$mode" "latency p50 / p99 / max (ms)" "$(jq_ "$OUT/5-fault-$mode.json" '`${o.latency_ms.p50} / ${o.latency_ms.p99} / ${o.latency_ms.max}`' 2>/dev/null)"
        rec "5-$mode" "peak RSS (MiB)" "$peak"
        rec "5-$mode" "upstream fates" "$(cat "$OUT/5-upstream-$mode.json")"
        accept "5-$mode" "process alive after" "$(alive)" "$(alive)"
        stop_bw "fault-$mode"
        kill -TERM "$UP_PID" 2>/dev/null || true
        wait "$UP_PID" 2>/dev/null || true
    done
    if [[ -n ${TPUT[on]:-} && -n ${TPUT[off]:-} ]]; then
        r=$(awk "BEGIN {print (${TPUT[on]} * 2 >= ${TPUT[off]}) ? 1 : 0}")
        accept 5 "throughput on vs off (req/s), on must be >= off / 2" "${TPUT[on]} vs ${TPUT[off]}" "$r"
    fi
fi

echo "wall_s=$(($(date +%s) - T0))" >>"$OUT/meta.env"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"
{
    echo "Breakwater reliability checks, $(grep '^date=' "$OUT/meta.env" | cut -d= -f2), commit $(grep '^commit=' "$OUT/meta.env" | cut -d= -f2), wall $(($(date +%s) - T0)) s"
    awk -F'\t' 'NR > 1 {v = $3; if (length(v) > 110) v = substr(v, 1, 107) "..."; printf "%-6s %-50s %-112s %s\n", $1, $2, v, $4}' "$OUT/results.tsv"
    if ((FAILED)); then echo "VERDICT: FAIL"; else echo "VERDICT: PASS"; fi
} | tee "$OUT/summary.txt"
exit $((FAILED ? 1 : 0))
