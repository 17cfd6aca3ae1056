// SSE load generator for bench/run.sh: opens STREAMS concurrent streaming chat completions (started evenly over
// RAMP ms, each on its own connection), reads every event, and prints one JSON line of results:
//   ttfe        time from sending the request to the first event, per stream (ms)
//   gap_excess  for each event after the first: (time since the previous event) - INTERVAL (ms)
//   delay       per event: receive time - the send time the upstream wrote into the event (ms)
//   stalled     streams with a gap above STALL ms, or that did not deliver all EVENTS events and [DONE]
//   loop_lag    how late this client's own event loop ran its callbacks (ms): on a machine whose cores are all
//               busy, a late client adds its lateness to every figure above, whatever the path
// The whole run is bounded: anything still open RAMP + EVENTS*INTERVAL + 20 s after the start is aborted.
//
//   node bench/sse-load.mjs --url http://127.0.0.1:18310/sse/v1/chat/completions --streams 1000 \
//        --events 50 --interval 100 --ramp 1000
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const url = new URL(args.url);
const streams = Number(args.streams ?? 1000);
const events = Number(args.events ?? 50);
const interval = Number(args.interval ?? 100);
const ramp = Number(args.ramp ?? 1000);
const stallMs = Number(args.stall ?? 1000);
const label = args.label ?? 'sse';
const hardLimit = ramp + events * interval + 20_000;
const body = JSON.stringify({
    model: 'bench-model', stream: true,
    messages: [{ role: 'user', content: 'Count to fifty, one token per event.' }],
});
const lag = monitorEventLoopDelay({ resolution: 1 });
lag.enable();
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const epoch = () => performance.timeOrigin + performance.now();

const ttfe = [];
const gapExcess = [];
const delay = [];
const statuses = {};
let completed = 0;
let stalled = 0;
let errors = 0;
let open = 0;
let maxOpen = 0;
let finished = 0;
const errorKinds = {};
const reqs = new Set();

function pct(arr, p) {
    if (arr.length === 0) return null;
    const s = Float64Array.from(arr).sort();
    const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
    return Math.round(s[idx] * 1000) / 1000;
}

function startStream() {
    const t0 = performance.now();
    let last = null;
    let count = 0;
    let done = false;
    let stall = false;
    let buf = '';
    let closed = false;
    const finish = (kind) => {
        if (closed) return;
        closed = true;
        open--;
        finished++;
        if (kind) {
            errors++;
            errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        }
        if (done && count === events && !stall) completed++;
        else stalled++;
        if (finished === streams) report();
    };
    open++;
    maxOpen = Math.max(maxOpen, open);
    const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
            authorization: 'Bearer sk-bench', accept: 'text/event-stream' },
    }, (res) => {
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
            const now = performance.now();
            const nowEpoch = epoch();
            buf += chunk;
            let sep;
            while ((sep = buf.indexOf('\n\n')) >= 0) {
                const ev = buf.slice(0, sep);
                buf = buf.slice(sep + 2);
                const line = ev.split('\n').find((l) => l.startsWith('data: '));
                if (!line) continue;
                const data = line.slice(6);
                if (data === '[DONE]') {
                    done = true;
                    continue;
                }
                let parsed;
                try {
                    parsed = JSON.parse(data);
                } catch {
                    continue;
                }
                if (parsed.error) continue; // a Breakwater error event: the stream counts as stalled
                if (last === null) ttfe.push(now - t0);
                else {
                    const gap = now - last;
                    gapExcess.push(gap - interval);
                    if (gap > stallMs) stall = true;
                }
                if (typeof parsed.t === 'number') delay.push(nowEpoch - parsed.t);
                last = now;
                count++;
            }
        });
        res.on('end', () => finish(null));
        res.on('error', () => finish('response_error'));
        res.on('aborted', () => finish('aborted'));
    });
    reqs.add(req);
    req.on('error', (e) => finish(e.code ?? 'request_error'));
    req.on('close', () => reqs.delete(req));
    req.end(body);
}

// monitorEventLoopDelay samples in ns, and counts its own 1 ms resolution timer as delay: subtract it.
const lagMs = (ns) => Math.max(0, Math.round((ns / 1e6 - 1) * 1000) / 1000);

let reported = false;
function report() {
    if (reported) return;
    reported = true;
    const out = {
        label, streams, events, interval_ms: interval, ramp_ms: ramp, max_concurrent: maxOpen,
        completed, stalled, errors, error_kinds: errorKinds, statuses,
        ttfe_ms: { p50: pct(ttfe, 50), p99: pct(ttfe, 99), max: pct(ttfe, 100) },
        gap_excess_ms: { p50: pct(gapExcess, 50), p99: pct(gapExcess, 99), max: pct(gapExcess, 100) },
        delay_ms: { p50: pct(delay, 50), p99: pct(delay, 99), max: pct(delay, 100) },
        events_received: delay.length,
        loop_lag_ms: { p50: lagMs(lag.percentile(50)), p99: lagMs(lag.percentile(99)), max: lagMs(lag.max) },
    };
    console.log(JSON.stringify(out));
    process.exit(0);
}

for (let k = 0; k < streams; k++) setTimeout(startStream, (k * ramp) / streams);
setTimeout(() => {
    for (const r of reqs) r.destroy(new Error('hard_limit'));
    setTimeout(report, 500);
}, hardLimit).unref();
