// Turns the raw results of bench/run.sh (a results directory) into the Markdown tables of BENCHMARKS.md.
//
//   node bench/report.mjs /tmp/breakwater-bench.XXXXXX/results
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
    console.error('usage: node bench/report.mjs RESULTS_DIR');
    process.exit(2);
}
const file = (name) => path.join(dir, name);
const exists = (name) => fs.existsSync(file(name));
const text = (name) => (exists(name) ? fs.readFileSync(file(name), 'utf8') : '');
const json = (name) => (exists(name) ? JSON.parse(text(name)) : null);

const median = (xs) => {
    const s = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
    if (s.length === 0) return null;
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
const signed = (x, digits = 0) => (x === null || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);
const mib = (kb) => (kb === null || kb === undefined || !Number.isFinite(kb) ? 'n/a' : (kb / 1024).toFixed(1));
const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'met' : '**missed**');

const meta = Object.fromEntries(text('meta.txt').split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
}));
const out = [];
const p = (s = '') => out.push(s);
const targets = [];

p(`Run ${meta.date ?? ''}${meta.quick === '1' ? ' (BENCH_QUICK=1 smoke variant: single short runs, not for the record)' : ''}: ` +
    `${meta.nproc} cores (${meta.cpu}), ${meta.mem} RAM, ${meta.java}; nginx ${meta.nginx}, HAProxy ${meta.haproxy}, ` +
    `wrk ${meta.wrk}, Node ${meta.node}. Load average before: ${meta.load_before}; after: ${meta.load_after ?? 'n/a'}. ` +
    `CPU steal during the run: ${meta.steal_pct ?? 'n/a'} %.`);
const jit = exists('jit.txt') ? Object.fromEntries(text('jit.txt').trim().split(/\s+/).map((kv) => kv.split('='))) : null;
if (jit) {
  p(`Breakwater's JIT settled after ${jit.jit_settled_s} s of extra warm-up (compiler threads: ${jit.jit_cpu_s} s of CPU ` +
      'in all); the HTTP figures are taken after it.');
}
const jitSse = exists('jit-sse.txt') ? Object.fromEntries(text('jit-sse.txt').trim().split(/\s+/).map((kv) => kv.split('='))) : null;
if (jitSse) {
  p(`Streaming: Breakwater was warmed by ${jitSse.runs} full-size run(s) of 1,000 streams (${jitSse.jit_settled_s} s) before ` +
      `the rounds; the compiler threads took ${(jitSse.last_run_jit_ticks / 100).toFixed(2)} s of CPU in the last of them.`);
}
p(`Breakwater JVM flags: \`${meta.java_opts}\`.` +
    (meta.cds === 'on' ? ' Class-data archive on (the launcher\'s default): the first start writes it, later starts map it.'
      : meta.cds === 'off' ? ' Class-data archive off.' : ''));
p();

// ------------------------------------------------------------------------------------------------ HTTP
const rows = text('http.txt').split('\n').filter(Boolean).map((l) => Object.fromEntries(l.split(' ').map((kv) => {
    const [k, v] = kv.split('=');
    return [k, Number.isNaN(Number(v)) ? v : Number(v)];
})));
const names = {
    direct: ['direct', 'wrk → nginx upstream (1 worker)'],
    nginx1: ['nginx proxy, 1 worker', 'proxy_pass, keepalive 64'],
    nginx2: ['nginx proxy, 2 workers', 'worker_processes auto'],
    haproxy: ['HAProxy, 2 threads', 'http-reuse always'],
    breakwater: ['Breakwater, 2 event loops', 'shipped policies, INFO log'],
};
const rounds = [...new Set(rows.map((r) => r.round))];
const get = (t, kind, round) => rows.find((r) => r.target === t && r.kind === kind && r.round === round);
const http = {};
for (const t of Object.keys(names)) {
    const per = (kind, field) => rounds.map((r) => get(t, kind, r)?.[field] ?? null);
    const added = (field) => rounds.map((r) => {
        const a = get(t, 'lat', r)?.[field];
        const b = get('direct', 'lat', r)?.[field];
        return a !== undefined && b !== undefined ? a - b : null;
    });
    const ratio = (base) => rounds.map((r) => {
        const a = get(t, 'thr', r)?.rps;
        const b = get(base, 'thr', r)?.rps;
        return a && b ? a / b : null;
    });
    http[t] = {
        p50: median(per('lat', 'p50')), p99: median(per('lat', 'p99')), p999: median(per('lat', 'p999')),
        a50: median(added('p50')), a99: median(added('p99')), a999: median(added('p999')),
        rps: median(per('thr', 'rps')), vsNginx1: median(ratio('nginx1')), vsNginx2: median(ratio('nginx2')),
        errors: rows.filter((r) => r.target === t).reduce((s, r) => s + r.errors + r.non2xx, 0),
        rpsAll: per('thr', 'rps'),
    };
}
if (rows.length) {
    p(`### HTTP: POST /v1/chat/completions (${rounds.length} interleaved round(s); medians)`);
    p();
    p('Latency at 1 connection (`wrk -t1 -c1`), µs; "added" is the target minus direct in the same round. ' +
        'Throughput at 64 connections (`wrk -t2 -c64`); the ratios are the target\'s requests/s divided by ' +
        'nginx\'s in the same round.');
    p();
    p('| Target | p50 | p99 | p99.9 | added p50 | added p99 | added p99.9 | req/s @64 | × nginx 2w | × nginx 1w | errors |');
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [t, [label]] of Object.entries(names)) {
        const h = http[t];
        const isDirect = t === 'direct';
        p(`| ${label} | ${fmt(h.p50)} | ${fmt(h.p99)} | ${fmt(h.p999)} | ${isDirect ? '—' : signed(h.a50)} | ` +
            `${isDirect ? '—' : signed(h.a99)} | ${isDirect ? '—' : signed(h.a999)} | ${fmt(h.rps)} | ` +
            `${fmt(h.vsNginx2, 2)} | ${fmt(h.vsNginx1, 2)} | ${h.errors} |`);
    }
    p();
    p(`Per-round req/s @64: ${Object.keys(names).map((t) => `${t} ${http[t].rpsAll.map((x) => fmt(x)).join('/')}`).join('; ')}.`);
    p();
    const bw = http.breakwater;
    targets.push(['Throughput @64 ≥ 0.8× nginx, same run (stretch 1.0×)', `${fmt(bw.vsNginx2, 2)}× nginx 2 workers, ` +
        `${fmt(bw.vsNginx1, 2)}× nginx 1 worker`, verdict(bw.vsNginx2 === null ? null : bw.vsNginx2 >= 0.8)]);
    targets.push(['Added latency @1, p50 ≤ 60 µs', `${signed(bw.a50)} µs`, verdict(bw.a50 === null ? null : bw.a50 <= 60)]);
    targets.push(['Added latency @1, p99 ≤ 500 µs (stretch 300 µs)', `${signed(bw.a99)} µs`, verdict(bw.a99 === null ? null : bw.a99 <= 500)]);
}

// ------------------------------------------------------------------------------------------------ SSE
const sse = text('sse.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l));
if (sse.length) {
    const sr = [...new Set(sse.map((x) => x.round))];
    const pick = (label, r) => sse.find((x) => x.round === r && x.result.label === label)?.result;
    const med = (label, f) => median(sr.map((r) => f(pick(label, r))));
    const add = (f) => median(sr.map((r) => {
        const a = pick('breakwater', r);
        const b = pick('direct', r);
        return a && b ? f(a) - f(b) : null;
    }));
    const sum = (label, f) => sr.reduce((s, r) => s + (f(pick(label, r)) ?? 0), 0);
    const first = pick('direct', sr[0]);
    p(`### Streaming: ${first.streams} concurrent SSE streams × ${first.events} events every ${first.interval_ms} ms ` +
        `(${sr.length} alternating round(s); medians; ms)`);
    p();
    p('| Path | TTFE p50 | TTFE p99 | gap excess p50 | gap excess p99 | event delay p99 | max concurrent | complete | stalled | client loop lag p99 |');
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const label of ['direct', 'breakwater', 'breakwater-at-headers'].filter((l) => pick(l, sr[0]))) {
        p(`| ${label} | ${fmt(med(label, (x) => x.ttfe_ms.p50), 2)} | ${fmt(med(label, (x) => x.ttfe_ms.p99), 2)} | ` +
            `${fmt(med(label, (x) => x.gap_excess_ms.p50), 2)} | ${fmt(med(label, (x) => x.gap_excess_ms.p99), 2)} | ` +
            `${fmt(med(label, (x) => x.delay_ms.p99), 2)} | ${fmt(med(label, (x) => x.max_concurrent))} | ` +
            `${sum(label, (x) => x.completed)} | ${sum(label, (x) => x.stalled)} | ` +
            `${fmt(med(label, (x) => x.loop_lag_ms?.p99), 2)} |`);
    }
    const aT50 = add((x) => x.ttfe_ms.p50);
    const aT99 = add((x) => x.ttfe_ms.p99);
    const aG99 = add((x) => x.gap_excess_ms.p99);
    const aD99 = add((x) => x.delay_ms.p99);
    p(`| **added by Breakwater** | ${signed(aT50, 2)} | ${signed(aT99, 2)} | | ${signed(aG99, 2)} | ${signed(aD99, 2)} | | | | |`);
    if (pick('breakwater-at-headers', sr[0])) {
        const held = (f) => median(sr.map((r) => {
            const a = pick('breakwater', r);
            const b = pick('breakwater-at-headers', r);
            return a && b ? f(a) - f(b) : null;
        }));
        p(`| **commit on first event vs at headers** | ${signed(held((x) => x.ttfe_ms.p50), 2)} | ` +
            `${signed(held((x) => x.ttfe_ms.p99), 2)} | | ${signed(held((x) => x.gap_excess_ms.p99), 2)} | ` +
            `${signed(held((x) => x.delay_ms.p99), 2)} | | | | |`);
    }
    p();
    p('TTFE: request sent → first event received. Gap excess: (time between two events) − interval. Event delay: ' +
        'receive time − the send time the upstream wrote into the event. A stream counts as stalled if a gap ' +
        'exceeded 1 s or it did not deliver all events and `[DONE]`. Client loop lag: how late the load ' +
        "generator's own event loop ran (a late client adds its lateness to every figure of its row).");
    p();
    const stalls = sum('breakwater', (x) => x.stalled);
    targets.push(['1,000 SSE streams: no stall', `${stalls} stalled of ${sum('breakwater', (x) => x.streams)}`, verdict(stalls === 0)]);
    // Less time through Breakwater than direct means the machine, not the proxy, set the figures: no verdict.
    targets.push(['Added TTFE p99 ≤ 10 ms (stretch 2 ms)', `${signed(aT99, 2)} ms (p50 ${signed(aT50, 2)} ms); added inter-event delay p99 ` +
        `${signed(aG99, 2)} ms${aT99 !== null && aT99 < 0 ? ' (negative: the direct path was slower, a noisy run)' : ''}`,
        verdict(aT99 === null || aT99 < 0 ? null : aT99 <= 10)]);
}

// ------------------------------------------------------------------------------------------------ failure path
const memSamples = (name) => text(name).split('\n').filter(Boolean).map((l) => l.split(' ').map(Number))
    .filter((a) => a.length === 3 && a.every(Number.isFinite));
const failRows = [];
let worstAfterGate = 0;
const rawMax = {};
for (const [run, desc] of [['agents', '200 agents, think 250 ms (±50%)'], ['stress', '200 clients, no think time']]) {
    const c = json(`fail_${run}_client.json`);
    const u = json(`fail_${run}_upstream.json`);
    if (!c || !u) continue;
    const windows = u.windows.filter((w) => w.calls > 0 || Object.keys(w.models).length);
    const perModel = windows.flatMap((w) => Object.values(w.models).map((m) => m.calls));
    const afterGate = windows.flatMap((w) => Object.values(w.models).map((m) => m.after_gate));
    const totalInWindows = windows.reduce((s, w) => s + w.calls, 0);
    const samples = memSamples(`fail_${run}_mem.txt`);
    worstAfterGate = Math.max(worstAfterGate, ...afterGate, 0);
    rawMax[run] = Math.max(0, ...perModel);
    failRows.push(`| ${desc} | ${c.requests} | ${fmt(c.success_rate, 2)} % | ${windows.length} | ` +
        `${fmt(totalInWindows / (windows.length * (u.closed_ms / 1000)), 1)} | ${fmt(median(perModel), 1)} / ${fmt(Math.max(...perModel))} | ` +
        `${afterGate.reduce((s, x) => s + x, 0)} | ${fmt(c.latency_ms.p50, 1)} / ${fmt(c.latency_ms.p99, 0)} | ` +
        `${mib(Math.max(...samples.map((s) => s[1])))} | ${mib(Math.max(...samples.map((s) => s[2])))} |`);
    const seq = (f) => windows.map((w) => ['bench-model-a', 'bench-model-b'].map((m) => f(w.models[m])).join('+')).join(', ');
    failRows.push(`|  ↳ per window (model a + b): calls ${seq((m) => m?.calls ?? 0)}; sent after the gate closed ` +
        `${seq((m) => m?.after_gate ?? 0)}. Non-200 answers: ${JSON.stringify(c.codes)} | | | | | | | | | |`);
}
if (failRows.length) {
    p('### Failure path: 429 + `Retry-After: 1` for 1 s in every 5 s (two models, `bench-model-a` and `-b`)');
    p();
    p('| Clients | requests | success | closed windows | upstream calls/s in closed windows | calls per model per window (median / max) | calls sent after the gate closed | latency ms p50 / p99 | heap in use max (MiB) | RSS max (MiB) |');
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of failRows) p(r);
    p();
    p('"Calls sent after the gate closed": upstream calls for a model whose client sent them more than 5 ms after ' +
        'the upstream had sent that window\'s first 429 for the model, i.e. calls Breakwater could have held. The ' +
        'other calls in a window were already on their way when the first 429 left the upstream. Heap in use is ' +
        'sampled every 500 ms with `jstat` (no forced GC), so it includes garbage.');
    p();
    targets.push(['≤ 1 upstream call per model per closed window', `${worstAfterGate} call(s) per model and window sent ` +
        `after the gate closed (worst window); counting every call, up to ${rawMax.agents ?? 'n/a'} (agents) and ` +
        `${rawMax.stress ?? 'n/a'} (no think time) per model and window, all already in flight when the window opened`,
    worstAfterGate > 0 ? '**missed**' : Object.values(rawMax).every((x) => x <= 1) ? 'met'
        : 'met for calls Breakwater could hold; **missed** counting in-flight calls']);
}
const hm = json('hold_mem.json');
const hc = json('hold_client.json');
const hu = json('hold_upstream.json');
if (hm && hc) {
    const calls = hu ? hu.windows.reduce((s, w) => s + w.calls, 0) : null;
    const growth = hm.heap_b_kb - hm.heap_a_kb;
    p(`### ${hm.held} requests held at the rate-limit gate (Retry-After: ${hm.hold_s})`);
    p();
    p('| | heap after full GC (MiB) | RSS (MiB) | open fds |');
    p('|---|---:|---:|---:|');
    p(`| before | ${mib(hm.heap_base_kb)} | ${mib(hm.rss_base_kb)} | |`);
    p(`| all held, +2 s | ${mib(hm.heap_a_kb)} | ${mib(hm.rss_a_kb)} | ${hm.fd_a} |`);
    p(`| still held, +${hm.b_minus_a_s} s later | ${mib(hm.heap_b_kb)} | ${mib(hm.rss_b_kb)} | ${hm.fd_b} |`);
    p(`| after release | ${mib(hm.heap_after_kb)} | ${mib(hm.rss_after_kb)} | |`);
    p();
    p(`Heap per held request: ${fmt(((hm.heap_a_kb - hm.heap_base_kb) * 1024) / hm.held, 0)} bytes. Growth while held: ` +
        `${signed(growth / 1024, 2)} MiB. Upstream calls while the gate was closed: ${calls ?? 'n/a'} (the trigger's 429). ` +
        `Client: ${hc.answered}/${hc.held_requests} answered, statuses ${JSON.stringify(hc.statuses)}; all sent ` +
        `${hc.all_sent_ms} ms after the trigger, first released ${hc.first_answer_ms} ms, all answered ` +
        `${hc.all_answered_ms} ms. Peak RSS of this process: ${mib(hm.hwm_kb)} MiB.`);
    p();
    // Growth, not shrinkage, is what the target is about; 1 MiB or 2 % of the held heap is noise.
    const ok = growth <= Math.max(1024, hm.heap_a_kb * 0.02) && hc.answered === hc.held_requests;
    targets.push([`No heap growth while ${hm.held} requests are held`, `${signed(growth / 1024, 2)} MiB between the two ` +
        `held samples (${fmt(((hm.heap_a_kb - hm.heap_base_kb) * 1024) / hm.held, 0)} B per held request)`, verdict(ok)]);
}

// ------------------------------------------------------------------------------------------------ memory, ready
const memOf = (name) => {
    const t = text(name).trim();
    return t ? t.split(' ').map(Number) : null;
};
const phases = [['HTTP bench', 'http_mem_kb.txt'], ['SSE bench', 'sse_mem_kb.txt'], ['failure path + held requests', 'fail_mem_kb.txt']];
const hwms = [];
p('### Breakwater process');
p();
p('| Phase (fresh process each) | peak RSS (VmHWM, MiB) |');
p('|---|---:|');
for (const [label, name] of phases) {
    const m = memOf(name);
    if (!m) continue;
    hwms.push([label, m[0]]);
    p(`| ${label} | ${mib(m[0])} |`);
}
const gcOf = (name) => {
    const pauses = text(name).split('\n').map((l) => l.match(/Pause (Young|Full).* ([0-9.]+)ms$/)).filter(Boolean)
        .map((m) => [m[1], Number(m[2])]);
    return pauses;
};
p();
p('| Phase | young GCs | young pause total / longest (ms) | full GCs | full pause longest (ms) |');
p('|---|---:|---:|---:|---:|');
for (const [label, phase] of [['HTTP bench', 'http'], ['SSE bench', 'sse'], ['failure path + held requests', 'failure']]) {
    if (!exists(`gc-${phase}.log`)) continue;
    const g = gcOf(`gc-${phase}.log`);
    const young = g.filter((x) => x[0] === 'Young').map((x) => x[1]);
    const full = g.filter((x) => x[0] === 'Full').map((x) => x[1]);
    p(`| ${label} | ${young.length} | ${fmt(young.reduce((a, x) => a + x, 0))} / ${fmt(Math.max(0, ...young), 1)} | ` +
        `${full.length} | ${fmt(Math.max(0, ...full), 1)} |`);
}
p();
const causes = {};
for (const phase of ['http', 'sse', 'failure']) {
    for (const m of text(`gc-${phase}.log`).matchAll(/Pause Full \(([^)]+)\)/g)) causes[m[1]] = (causes[m[1]] ?? 0) + 1;
}
p('Full GCs by cause, all phases: ' + (Object.entries(causes).map(([c, n]) => `${c} ×${n}`).join(', ') || 'none') +
    '. `Diagnostic Command` ones are the `GC.run` of the held-request heap samples; `Allocation Failure` ones mean the old ' +
    'generation filled.');
const ready = text('ready_ms.txt').split('\n').filter(Boolean).map(Number);
p();
p(`Start to first 200 from /readyz: median ${fmt(median(ready))} ms over ${ready.length} starts (${ready.join(', ')} ms), ` +
    'polled with curl every 10 ms.');
p();
const httpHwm = hwms.find((h) => h[0] === 'HTTP bench');
if (httpHwm) {
    targets.push(['RSS ≤ 256 MiB', hwms.map(([l, k]) => `${mib(k)} MiB (${l})`).join('; '),
        hwms.every(([, k]) => k <= 256 * 1024) ? 'met' : httpHwm[1] <= 256 * 1024 ? '**missed** under the failure-path/hold load' : '**missed**']);
}
if (ready.length) targets.push(['Ready in < 1.5 s', `${fmt(median(ready))} ms median`, verdict(median(ready) < 1500)]);

if (exists('profile-top.txt')) {
    p('### Profile (JFR, 20 s at 64 connections): hottest top frames');
    p();
    p('```');
    p(text('profile-top.txt').trimEnd());
    p('```');
    p();
    if (exists('profile-breakwater.txt')) {
        p('Breakwater frames, inclusive (samples with the frame anywhere on the stack):');
        p();
        p('```');
        p(text('profile-breakwater.txt').trimEnd());
        p('```');
        p();
    }
}

// Busy processes that were not part of the bench (other agents compiling, ...), sampled every 5 s.
const ours = new Set(text('bw_pids.txt').split('\n').filter(Boolean));
const foreign = text('busy.txt').split('\n').filter(Boolean).map((l) => l.split(' '))
    .filter(([, pid, , cmd]) => cmd && !['wrk', 'nginx', 'haproxy', 'node', 'top', 'jcmd', 'jstat', 'jfr'].includes(cmd)
        && !ours.has(pid));
p(`Other processes at >= 20 % CPU during the run: ${foreign.length === 0 ? 'none seen' :
    `${new Set(foreign.map((f) => f[0])).size} of the 5-second samples (${[...new Set(foreign.map((f) => f[3]))].join(', ')}), ` +
    `mean ${fmt(foreign.reduce((s, f) => s + Number(f[2]), 0) / foreign.length)} % when seen`}.`);
p();

const header = ['### Targets', '', '| Target | Measured | |', '|---|---|---|', ...targets.map((t) => `| ${t.join(' | ')} |`), ''];
console.log([out[0], out[1], '', ...header, ...out.slice(2)].join('\n'));
