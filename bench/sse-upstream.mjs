// SSE upstream for bench/run.sh: every request gets a text/event-stream of N chat-completion chunks, one every
// INTERVAL ms (scheduled against absolute times, so the interval does not drift), then "data: [DONE]".
// Each event carries its send time ("t", epoch ms with sub-ms precision) so the client can measure delivery delay.
//
//   node bench/sse-upstream.mjs --port 18320 --events 50 --interval 100
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const port = Number(args.port ?? 18320);
const events = Number(args.events ?? 50);
const interval = Number(args.interval ?? 100);
const now = () => performance.timeOrigin + performance.now();

let streams = 0;
let open = 0;
const server = http.createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    if (req.method === 'GET' && req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ streams, open }));
        return;
    }
    req.resume();
    req.on('end', () => {
        streams++;
        open++;
        res.writeHead(200, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            'x-request-id': 'req_sse_upstream',
        });
        const start = now();
        let i = 0;
        let timer = null;
        const send = () => {
            if (res.destroyed) return;
            const chunk = {
                id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: 'bench-model',
                choices: [{ index: 0, delta: { content: 'tok' }, finish_reason: null }],
                i, t: now(),
            };
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
            i++;
            if (i >= events) {
                res.end('data: [DONE]\n\n');
                return;
            }
            timer = setTimeout(send, Math.max(0, start + i * interval - now()));
        };
        res.on('close', () => {
            open--;
            if (timer) clearTimeout(timer);
        });
        send();
    });
});
server.listen(port, '127.0.0.1', () => console.error(`sse-upstream listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
