#!/usr/bin/env bash
# The README's quick start, run as written and checked, so that it cannot rot unnoticed.
#
#   bash bench/quickstart.sh
#
# Reads the shell blocks of README.md's "Quick start" section up to "The real API", and runs them: the two start
# commands (bin/mock-openai, then bin/breakwater with OPENAI_UPSTREAM; it builds target/breakwater.jar first
# when that is missing or stale), then each curl command, with options appended that save its status, headers
# and body. Checks:
#   1. the plain chat completion: 200, a chat.completion of the requested model, x-breakwater-attempts: 1
#   2. the retry demo (x-mock-fail: 2): 200 after two 429s with Retry-After: 1, x-breakwater-attempts: 3,
#      at least 1.5 s (the hinted waits were honoured), the mock saw 3 attempts of that x-request-id
#   3. the stream: 200, text/event-stream, chunks of the requested model, ending with data: [DONE]
#   4. the shipped configuration is valid without OPENAI_UPSTREAM (the real API); no request is sent
#   5. SIGTERM: Breakwater drains and exits 0
# Needs Java 17+, Maven (only when the jar must be built) and curl; ports 8080, 9901 and 9999 on 127.0.0.1
# must be free, since the README uses them. Exit 1 when a check fails, 2 on a setup error (the README's quick
# start no longer has the shape this script expects included). Output in QS_OUT (default a new
# /tmp/breakwater-quickstart.XXXXXX).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
LOG_TAG=quickstart
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cd "$ROOT"
for tool in java curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
OUT=${QS_OUT:-$(mktemp -d /tmp/breakwater-quickstart.XXXXXX)}
mkdir -p "$OUT"

# ------------------------------------------------------------------------------------------------ the README
# The shell blocks of the quick start, continuation lines joined: one command per array element.
mapfile -t COMMANDS < <(awk '
    /^## Quick start/ { on = 1; next }
    on && (/^## / || /^\*\*The real API/) { exit }
    on && /^```sh/ { block = 1; next }
    block && /^```/ { block = 0; next }
    block {
        line = $0
        if (sub(/\\$/, "", line)) { cmd = cmd line; next }
        print cmd line; cmd = ""
    }' README.md)
START=() CURLS=()
for c in "${COMMANDS[@]}"; do
    c=$(sed -E 's/[[:space:]]+#[^'\''"]*$//' <<<"$c") # a trailing comment
    [[ -n ${c// /} ]] || continue
    if [[ $c == curl\ * ]]; then CURLS+=("$c"); else START+=("$c"); fi
done
((${#START[@]} == 2 && ${#CURLS[@]} == 3)) \
    || die "README.md's quick start has ${#START[@]} start commands and ${#CURLS[@]} curl commands; this script expects 2 and 3 (update it with the README)"
[[ ${START[0]} == 'bin/mock-openai &' ]] || die "README.md's first command is not 'bin/mock-openai &': ${START[0]}"
[[ ${START[1]} == *bin/breakwater\ --config\ config/breakwater.yaml ]] \
    || die "README.md's second command does not start bin/breakwater --config config/breakwater.yaml: ${START[1]}"
[[ ${CURLS[1]} == *x-mock-fail:\ 2* && ${CURLS[2]} == *'"stream":true'* ]] \
    || die "README.md's curl commands are not plain, x-mock-fail: 2, stream, in that order"
grep -qF 'x-breakwater-attempts: 3' README.md || die "README.md no longer shows x-breakwater-attempts: 3"

busy=()
for p in 8080 9901 9999; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then busy+=("$p"); fi
done
((${#busy[@]} == 0)) || die "ports in use on 127.0.0.1: ${busy[*]} (the quick start needs 8080, 9901 and 9999)"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_started 50
    log "output in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILED=0

# ------------------------------------------------------------------------------------------------ start
log "running: ${START[0]}"
eval "${START[0]%&} >'$OUT/mock.log' 2>&1 &"
MOCK_PID=$!
PIDS+=("$MOCK_PID")
log "running: ${START[1]}"
eval "${START[1]} >'$OUT/breakwater.log' 2>&1 &"
BW_PID=$!
PIDS+=("$BW_PID")
ready=0
for _ in $(seq 1 600); do # 1 s polls: the first run builds the jar
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9901/readyz || true) == 200 ]] \
        && [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9999/v1/models || true) == 200 ]] \
        && { ready=1; break; }
    kill -0 "$BW_PID" 2>/dev/null || break
    kill -0 "$MOCK_PID" 2>/dev/null || break
    sleep 1
done
((ready)) || { tail -n 30 "$OUT/mock.log" "$OUT/breakwater.log" >&2; die "the mock or Breakwater did not become ready"; }
log "both ready; Breakwater is pid $BW_PID ($(ps -o comm= -p "$BW_PID"))"

# ------------------------------------------------------------------------------------------------ curl
# run_curl N: runs the README's Nth curl command with options appended; sets STATUS, SECONDS_TAKEN, HEADERS, BODY.
run_curl() {
    local n=$1 w
    HEADERS="$OUT/curl$n.headers" BODY="$OUT/curl$n.body"
    log "running: ${CURLS[$n]}"
    w=$(eval "${CURLS[$n]} --max-time 30 -D '$HEADERS' -o '$BODY' -w '%{http_code} %{time_total}'") || true
    STATUS=${w%% *} SECONDS_TAKEN=${w#* }
    log "  -> $STATUS in ${SECONDS_TAKEN}s, x-breakwater-attempts: $(header x-breakwater-attempts)"
}
header() { awk -v h="$1" 'tolower($1) == tolower(h) ":" {v = $2} END {sub(/\r$/, "", v); print v}' "$HEADERS"; }
contains() { grep -qF -- "$1" "$BODY"; }
starts_with() { [[ $1 == "$2"* ]]; }

run_curl 0
check "plain: status 200" test "$STATUS" = 200
check "plain: x-breakwater-attempts 1" test "$(header x-breakwater-attempts)" = 1
check "plain: a chat.completion of gpt-4o-mini" contains '"object":"chat.completion","created"'
check "plain: model echoed" contains '"model":"gpt-4o-mini"'

run_curl 1
check "retry: status 200" test "$STATUS" = 200
check "retry: x-breakwater-attempts 3" test "$(header x-breakwater-attempts)" = 3
check "retry: the answer of the third attempt" contains 'after 2 failed attempt(s)'
check "retry: took >= 1.5 s (two Retry-After: 1 waits)" awk -v t="$SECONDS_TAKEN" 'BEGIN {exit !(t >= 1.5)}'
RID=$(header x-breakwater-request-id)
check "retry: the mock saw two 429s and a 200 for x-request-id $RID" \
    test "$(grep -cF "x-request-id=$RID -> 429" "$OUT/mock.log")/$(grep -cF "x-request-id=$RID -> 200" "$OUT/mock.log")" = 2/1

run_curl 2
check "stream: status 200" test "$STATUS" = 200
check "stream: text/event-stream" starts_with "$(header content-type)" text/event-stream
check "stream: at least 8 chunks of gpt-4o-mini" \
    test "$(grep -c '^data: {.*"object":"chat.completion.chunk".*"model":"gpt-4o-mini"' "$BODY")" -ge 8
check "stream: ends with data: [DONE]" test "$(grep -v '^\s*$' "$BODY" | tail -n 1 | tr -d '\r')" = 'data: [DONE]'

# ------------------------------------------------------------------------------------------------ real API config
real_api_config() {
    env -u OPENAI_UPSTREAM BREAKWATER_NO_BUILD=1 bin/breakwater --check --config config/breakwater.yaml >"$OUT/check.out" 2>&1
}
check "the shipped config is valid without OPENAI_UPSTREAM" real_api_config

# ------------------------------------------------------------------------------------------------ stop
kill -TERM "$BW_PID"
rc=0
wait "$BW_PID" || rc=$?
check "SIGTERM: Breakwater drained and exited 0 (exit $rc)" test "$rc" = 0
check "SIGTERM: shutting_down logged" grep -q shutting_down "$OUT/breakwater.log"

if ((FAILED)); then log "FAILED: see $OUT"; exit 1; fi
log "all checks passed"
