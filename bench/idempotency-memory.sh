#!/usr/bin/env bash
# Memory of the idempotency store: Breakwater's live heap (after full GCs) before and after N requests, each with
# its own Idempotency-Key, to a tool that answers a small JSON body (nginx). Prints bytes per stored key.
#
#   bash bench/idempotency-memory.sh [N=100000]
#
# Needs nginx, wrk and the JDK's jcmd/jstat (bench/run.sh installs the first two), and ports 18501-18511 free.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-100000}
WORK=$(mktemp -d /tmp/breakwater-idem.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
JAR="$ROOT/target/breakwater.jar"
[[ -f $JAR ]] || (cd "$ROOT" && flock /tmp/mvn.lock mvn -B -q -o package -DskipTests)
cp "$JAR" "$WORK/breakwater.jar"

mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
error_log stderr error;
pid $WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:18501;
        location / {
            default_type application/json;
            return 200 '{"refund":"r_12345","order":"o_12345","amount":10,"status":"succeeded"}';
        }
    }
}
NGINX
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
PIDS+=($!)
cat >"$WORK/breakwater.yaml" <<YAML
listen: 127.0.0.1:18510
admin: 127.0.0.1:18511
logging: {level: WARN}
routes:
  - name: tools
    path-prefix: /tools/
    strip-prefix: true
    upstream: http://127.0.0.1:18501
    idempotency: {max-keys: $N, max-memory: 1GiB}
YAML
BREAKWATER_JAR="$WORK/breakwater.jar" "$ROOT/bin/breakwater" --config "$WORK/breakwater.yaml" >/dev/null 2>"$WORK/stderr" &
PID=$!
PIDS+=($PID)
for _ in $(seq 1 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:18511/readyz || true) == 200 ]] && break
    sleep 0.1
done
# Warm up the path (and its allocations) with a few thousand keys, then measure from there.
wrk -t1 -c8 -d3s -s "$ROOT/bench/wrk-idempotent.lua" http://127.0.0.1:18510 >/dev/null
heap_kb() {
    jcmd "$PID" GC.run >/dev/null
    jcmd "$PID" GC.run >/dev/null
    jstat -gc "$PID" | awk 'NR == 2 {printf "%d\n", $3 + $4 + $6 + $8}'
}
before=$(heap_kb)
keys_before=$(curl -s http://127.0.0.1:18511/metrics | awk '/^breakwater_idempotency_keys\{/ {s += $2} END {print s + 0}')
# Each wrk thread counts its own keys; two threads, until N more keys were added.
wrk -t2 -c16 -d600s -s "$ROOT/bench/wrk-idempotent.lua" http://127.0.0.1:18510 >/dev/null &
WRK=$!
while :; do
    keys=$(curl -s http://127.0.0.1:18511/metrics | awk '/^breakwater_idempotency_keys\{/ {s += $2} END {print s + 0}')
    (( keys >= N )) && break
    kill -0 $WRK 2>/dev/null || break
    sleep 0.5
done
kill $WRK 2>/dev/null || true
wait $WRK 2>/dev/null || true
after=$(heap_kb)
rss=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$PID/status")
echo "keys: $keys_before -> $keys (max-keys $N)"
echo "live heap after full GC: $before KiB -> $after KiB"
awk -v b="$before" -v a="$after" -v k="$keys" -v k0="$keys_before" \
    'BEGIN {printf "per stored key: %.0f bytes (response body 75 bytes)\n", (a - b) * 1024 / (k - k0)}'
echo "RSS: $((rss / 1024)) MiB"
