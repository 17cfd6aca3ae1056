# Shared by bench/run.sh, bench/soak.sh and bench/reliability.sh: logging, and stopping what a script started.
# Source it after setting LOG_TAG (the prefix of log lines); the script then appends the PIDs it starts to PIDS.

PIDS=()

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$LOG_TAG" -1 "$*" >&2; }

# die MESSAGE...: log and exit 2 (a script may define its own die after sourcing this file).
die() { log "ERROR: $*"; exit 2; }

# stop_started TENTHS: TERM every process in PIDS, wait up to TENTHS tenths of a second for all to exit, then KILL
# what is left. Never fails.
stop_started() {
    local tenths=$1 pid alive
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 "$tenths"); do
        alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# A named check: runs the command after the description, logs PASS or FAIL, and sets FAILED=1 on a failure
# (the caller sets FAILED=0 first and exits 1 at the end when it is set).
check() {
    local what=$1
    shift
    if "$@"; then log "PASS $what"; else log "FAIL $what"; FAILED=1; fi
}
