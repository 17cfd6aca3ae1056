// Seeded faulty upstream for bench/soak.sh. node:http only, no npm packages.
//
//   node bench/faulty-upstream.mjs --port 0 --seed 42 [--portfile FILE]
//
// Listens on 127.0.0.1 (port 0 = a free port; the chosen port is printed as "PORT <n>" on stdout and written to
// --portfile). Every request it receives draws its fate from ONE deterministic PRNG (mulberry32 seeded with
// --seed), in arrival order: the sequence of fates is the same for the same seed, though which client request
// meets which fate depends on arrival order under concurrency.
//
// Fates (weights in FATES below):
//   ok          200: JSON {"bytes": <request body bytes received>, ...}, or, when the request asks for a stream
//               (accept: text/event-stream), an SSE stream of 3-5 events 5 ms apart ending with "data: [DONE]".
//   ratelimit   429 with an OpenAI rate-limit error body and a short wait: retry-after-ms 20-120, or Retry-After
//               0.05-0.2 (seconds).
//   e500, e503  500 / 503 with a JSON error body.
//   reset       the socket is destroyed before any response byte (after the request head arrived).
//   stall       waits 200-700 ms before answering like "ok" (shorter than the soak config's response timeout).
//   cut         sends the 200 headers and part of the body, then destroys the socket (mid-stream cut): an SSE
//               stream after 1-2 events, or a JSON body with a Content-Length longer than what is sent.
//   ka_close    answers like "ok" with keep-alive, then closes the connection ~2 ms later unless a response is being
//               written on it: a request that arrived on it in those 2 ms is lost unanswered (the stale keep-alive
//               race a proxy must resend safely), and a client that reuses it later meets a closed connection.
//
// Every response carries x-soak-fate: <fate>, so the client can tell an injected cut from an unexpected one.
// GET /__soak/stats (on this port) returns the fate counts as JSON.
import http from 'node:http';
import fs from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const port = Number(args.port ?? 0);
const seed = Number(args.seed ?? 1) >>> 0;

// mulberry32: small, fast, deterministic.
let state = seed;
function rnd() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

const FATES = [
    ['ok', 52], ['ratelimit', 6], ['e500', 5], ['e503', 5], ['reset', 6], ['stall', 8], ['cut', 6], ['ka_close', 12],
];
const totalWeight = FATES.reduce((s, [, w]) => s + w, 0);
function drawFate() {
    let x = rnd() * totalWeight;
    for (const [name, w] of FATES) {
        if ((x -= w) < 0) return name;
    }
    return 'ok';
}

const counts = Object.fromEntries(FATES.map(([n]) => [n, 0]));
let requests = 0;
let bytesIn = 0;

function answerOk(req, res, fate, received, after) {
    const wantsStream = (req.headers.accept ?? '').includes('text/event-stream');
    if (wantsStream) {
        const events = between(3, 5);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-soak-fate': fate });
        let i = 0;
        const tick = () => {
            if (res.destroyed) return;
            if (i < events) {
                res.write(`data: {"i":${i},"n":${events},"received":${received}}\n\n`);
                i++;
                setTimeout(tick, 5);
            } else {
                res.end('data: [DONE]\n\n', after);
            }
        };
        tick();
        return;
    }
    const body = JSON.stringify({ object: 'soak', bytes: received, method: req.method, path: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        'x-soak-fate': fate });
    res.end(body, after);
}

const server = http.createServer((req, res) => {
    if (req.url === '/__soak/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ seed, requests, bytesIn, fates: counts }));
        return;
    }
    requests++;
    const fate = drawFate();
    // soakWriting: a response has started on this connection and not finished (see ka_close).
    res.writeHead = ((orig) => function (...a) {
        req.socket.soakWriting = true;
        res.once('finish', () => { req.socket.soakWriting = false; });
        res.once('close', () => { req.socket.soakWriting = false; });
        return orig.apply(this, a);
    })(res.writeHead);
    counts[fate]++;
    // Draw every random number this request needs now, so the sequence does not depend on timing.
    const r1 = rnd();
    const r2 = rnd();
    if (fate === 'reset') {
        req.socket.destroy();
        return;
    }
    let received = 0;
    req.on('data', (c) => { received += c.length; });
    req.on('error', () => { /* the proxy gave up on this attempt */ });
    req.on('end', () => {
        bytesIn += received;
        if (res.destroyed || req.socket.destroyed) return;
        switch (fate) {
            case 'ok':
                answerOk(req, res, fate, received);
                break;
            case 'stall':
                setTimeout(() => { if (!res.destroyed) answerOk(req, res, fate, received); }, 200 + Math.floor(r1 * 500));
                break;
            case 'ka_close':
                answerOk(req, res, fate, received, () => {
                    const s = req.socket;
                    setTimeout(() => {
                        // Like a server whose keep-alive timer fires: close the connection unless a response is
                        // being written on it. A request that arrived in the last 2 ms and is not answered yet is
                        // lost with the connection (the stale keep-alive race); one being answered is left alone.
                        if (!s.soakWriting) s.destroy();
                    }, 2);
                });
                break;
            case 'ratelimit': {
                const body = JSON.stringify({ error: { message: 'Rate limit reached (soak)', type: 'requests',
                    param: null, code: 'rate_limit_exceeded' } });
                const h = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
                    'x-soak-fate': fate };
                if (r1 < 0.5) h['retry-after-ms'] = String(20 + Math.floor(r2 * 100));
                else h['retry-after'] = (0.05 + r2 * 0.15).toFixed(2);
                res.writeHead(429, h);
                res.end(body);
                break;
            }
            case 'e500':
            case 'e503': {
                const status = fate === 'e500' ? 500 : 503;
                const body = JSON.stringify({ error: { message: `injected ${status}`, type: 'server_error', code: null } });
                res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
                    'x-soak-fate': fate });
                res.end(body);
                break;
            }
            case 'cut': {
                const wantsStream = (req.headers.accept ?? '').includes('text/event-stream');
                if (wantsStream) {
                    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-soak-fate': fate });
                    res.write('data: {"i":0}\n\n');
                    if (r1 < 0.5) res.write('data: {"i":1}\n\n');
                } else {
                    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096', 'x-soak-fate': fate });
                    res.write('{"object":"soak","partial":"');
                }
                setTimeout(() => req.socket.destroy(), 5 + Math.floor(r2 * 20));
                break;
            }
            default:
                answerOk(req, res, 'ok', received);
        }
    });
});
server.keepAliveTimeout = 30000;
server.headersTimeout = 20000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => {
    const p = server.address().port;
    if (args.portfile) fs.writeFileSync(args.portfile, String(p));
    process.stdout.write(`PORT ${p}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
