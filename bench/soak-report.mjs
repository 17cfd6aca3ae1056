// Verdict and summary for bench/soak.sh. Reads the soak directory, prints the summary, writes summary.txt and
// verdict.json there, and exits 1 when the soak failed (0 when it passed).
//
//   node bench/soak-report.mjs DIR
//
// DIR holds samples.csv (t_s,rss_kb,heap_after_gc_kb,fds,threads,requests), client.json (bench/soak-load.mjs's
// result line), upstream.json (the faulty upstream's /__soak/stats), meta.env (KEY=VALUE lines written by soak.sh,
// including the thresholds and the process checks).
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const meta = Object.fromEntries(fs.readFileSync(path.join(dir, 'meta.env'), 'utf8').split('\n')
    .filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const num = (k, d) => (meta[k] === undefined || meta[k] === '' ? d : Number(meta[k]));
const readJson = (f) => {
    try { return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').pop()); } catch { return null; }
};
const rows = fs.readFileSync(path.join(dir, 'samples.csv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split(',').map(Number)).filter((r) => r.length >= 6 && r.slice(1, 5).every((x) => Number.isFinite(x) && x > 0));
const client = readJson('client.json');
const upstream = readJson('upstream.json');

const failures = [];
const lines = [];
const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length === 0 ? NaN : (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const mib = (kb) => (kb / 1024).toFixed(1);

lines.push(`soak: ${meta.mode} run, ${meta.soak_seconds} s of load, seed ${meta.seed}, concurrency ${meta.concurrency}, `
    + `sample every ${meta.sample_seconds} s; wall time ${meta.wall_s ?? '?'} s`);
lines.push(`jvm flags: ${meta.java_opts}`);

// ---------------------------------------------------------------------------------------------- process checks
if (meta.died === '1') failures.push(`Breakwater died during the run (${meta.died_detail ?? 'no detail'})`);
if (meta.client_timeout === '1') failures.push('the load client did not finish within its outer time limit');
if (meta.term_exit !== undefined && meta.term_exit !== '0') {
    failures.push(`Breakwater exit status after SIGTERM: ${meta.term_exit} (expected 0 after a graceful drain)`);
}

// ---------------------------------------------------------------------------------------------- growth
const T = {
    heapPct: num('max_heap_growth_pct', 20), heapMiB: num('max_heap_growth_mib', 8),
    rssPct: num('max_rss_growth_pct', 25), rssMiB: num('max_rss_growth_mib', 32),
    fds: num('max_fd_growth', 50), threads: num('max_thread_growth', 5),
};
if (rows.length < 6) {
    failures.push(`only ${rows.length} usable samples (need at least 6 to compare the second and last thirds)`);
} else {
    const n = rows.length;
    const third = Math.floor(n / 3);
    const mid = rows.slice(third, 2 * third);
    const last = rows.slice(n - third);
    const col = (rs, i) => rs.map((r) => r[i]);
    const first = rows[0];
    const end = rows[n - 1];
    const m = (i) => [median(col(mid, i)), median(col(last, i))];
    // Heap after a full GC still holds the requests in flight at that instant (up to 50 buffered bodies of
    // 512 KiB): its median swings with them. A leak raises the floor, so the heap compares the lowest samples.
    const floor = (i) => [Math.min(...col(mid, i)), Math.min(...col(last, i))];
    const [rssA, rssB] = m(1);
    const [heapA, heapB] = floor(2);
    const [fdA, fdB] = m(3);
    const [thA, thB] = m(4);
    lines.push('');
    lines.push(`samples: ${n}; samples ${third + 1}-${2 * third} (second third) vs ${n - third + 1}-${n} (last third): `
        + 'medians, and for the heap the lowest sample');
    lines.push('| | first sample | second third | last third | growth | last sample | fail if |');
    lines.push('|---|---:|---:|---:|---:|---:|---|');
    const pct = (a, b) => (a > 0 ? ((b - a) / a) * 100 : 0);
    lines.push(`| RSS (MiB) | ${mib(first[1])} | ${mib(rssA)} | ${mib(rssB)} | ${(mib(rssB - rssA))} (${pct(rssA, rssB).toFixed(1)} %) | ${mib(end[1])} | > ${T.rssPct} % and > ${T.rssMiB} MiB |`);
    lines.push(`| heap after GC, lowest (MiB) | ${mib(first[2])} | ${mib(heapA)} | ${mib(heapB)} | ${mib(heapB - heapA)} (${pct(heapA, heapB).toFixed(1)} %) | ${mib(end[2])} | > ${T.heapPct} % and > ${T.heapMiB} MiB |`);
    lines.push(`| open fds | ${first[3]} | ${fdA} | ${fdB} | ${fdB - fdA} | ${end[3]} | > ${T.fds} |`);
    lines.push(`| threads | ${first[4]} | ${thA} | ${thB} | ${thB - thA} | ${end[4]} | > ${T.threads} |`);
    lines.push(`peak RSS (VmHWM): ${meta.hwm_kb ? mib(Number(meta.hwm_kb)) + ' MiB' : 'n/a'}`);
    if (pct(heapA, heapB) > T.heapPct && (heapB - heapA) / 1024 > T.heapMiB) {
        failures.push(`heap after GC grew ${mib(heapB - heapA)} MiB (${pct(heapA, heapB).toFixed(1)} %)`);
    }
    if (pct(rssA, rssB) > T.rssPct && (rssB - rssA) / 1024 > T.rssMiB) {
        failures.push(`RSS grew ${mib(rssB - rssA)} MiB (${pct(rssA, rssB).toFixed(1)} %)`);
    }
    if (fdB - fdA > T.fds) failures.push(`open fds grew by ${fdB - fdA}`);
    if (thB - thA > T.threads) failures.push(`threads grew by ${thB - thA}`);
}

// ---------------------------------------------------------------------------------------------- client
lines.push('');
if (!client) {
    failures.push('no result from the load client');
} else {
    const o = client.outcomes;
    const st = Object.entries(client.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ');
    lines.push(`requests: ${client.requests} in ${client.seconds} s (${(client.requests / client.seconds).toFixed(0)}/s), `
        + `${client.upload_mib} MiB uploaded`);
    lines.push(`statuses: ${st}   (NNN_cut = headers NNN, then the connection was cut)`);
    lines.push(`outcomes: complete ${o.complete}, cut_injected ${o.cut_injected}, stale_keepalive ${o.stale_keepalive}; `
        + `failures: cut_unexpected ${o.cut_unexpected}, no_response ${o.no_response}, invalid_http ${o.invalid_http}, `
        + `hung ${o.hung}, body_mismatch ${o.body_mismatch}`);
    const L = client.latency_ms;
    lines.push(`latency ms (complete + injected cuts): p50 ${L.p50}, p90 ${L.p90}, p99 ${L.p99}, p99.9 ${L.p999}, max ${L.max}`);
    if (client.failures > 0) {
        failures.push(`${client.failures} client request(s) failed: hung ${o.hung}, invalid_http ${o.invalid_http}, `
            + `no_response ${o.no_response}, cut_unexpected ${o.cut_unexpected}, body_mismatch ${o.body_mismatch}`);
        for (const e of client.errorSamples.slice(0, 5)) lines.push(`  e.g. ${JSON.stringify(e)}`);
    }
    if (client.requests === 0) failures.push('the client sent no request');
}
if (upstream) {
    const f = Object.entries(upstream.fates).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`upstream (seed ${upstream.seed}): ${upstream.requests} attempts; fates: ${f}`);
}

// Breakwater's own WARN/ERROR lines (reported, not a verdict criterion): count and the distinct messages.
try {
    const seen = new Map();
    let warn = 0;
    let error = 0;
    for (const l of fs.readFileSync(path.join(dir, 'breakwater.log'), 'utf8').split('\n')) {
        if (!l.includes('"level":"WARN"') && !l.includes('"level":"ERROR"')) continue;
        let key = l.slice(0, 160);
        try {
            const j = JSON.parse(l);
            if (j.level === 'WARN') warn++; else error++;
            const first = (j.stack_trace ?? '').split('\n')[0];
            const at = (j.stack_trace ?? '').split('\n').find((x) => x.includes('dev.breakwater')) ?? '';
            key = `${j.level} ${j.logger_name}: ${j.message}${first ? ` / ${first}` : ''}${at ? ` ${at.trim()}` : ''}`;
        } catch { /* not JSON */ }
        seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    lines.push(`breakwater log: ${error} ERROR, ${warn} WARN line(s)${seen.size ? ':' : ''}`);
    for (const [k, v] of [...seen].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`  ${v} x ${k.slice(0, 300)}`);
} catch { /* no log */ }

lines.push('');
lines.push(failures.length === 0 ? 'VERDICT: PASS' : `VERDICT: FAIL\n${failures.map((f) => `  - ${f}`).join('\n')}`);
const text = lines.join('\n') + '\n';
process.stdout.write(text);
fs.writeFileSync(path.join(dir, 'summary.txt'), text);
fs.writeFileSync(path.join(dir, 'verdict.json'), JSON.stringify({ pass: failures.length === 0, failures }) + '\n');
process.exit(failures.length === 0 ? 0 : 1);
