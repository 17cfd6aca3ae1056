import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the OpenAI API that enforces a real fixed-window rate limit, for measuring how a proxy paces
 * (or fails to pace) its calls. JDK only: run it with {@code bin/limited-upstream} (or
 * {@code java bin/LimitedUpstream.java}); see {@code --help}.
 */
public final class LimitedUpstream {
    private static final String HELP = """
            Usage: bin/limited-upstream [--port N] [--host ADDRESS] [--limit N] [--window D] [--latency D]
                                        [--token-limit N] [--retry-after S] [--log]

            An OpenAI-like upstream that ENFORCES a fixed-window rate limit, to measure pacing.
            Prints "listening on PORT" as the first line of stdout once it accepts connections.

              --port N          port (default 0: pick a free one)      --host A   address (default 127.0.0.1)
              --limit N         requests allowed per window and key (default 20)
              --window D        window length (default 2s). D is a number with an ms, s or m suffix
                                (a bare number is seconds)
              --latency D       delay before each 200 answer (default 5ms; 0 for none)
              --token-limit N   also enforce N tokens per window and key; a request costs body bytes/4 +
                                max_tokens (default: not enforced, limit reported as 1000000)
              --retry-after S   every 429 says retry-after: S and retry-after-ms: S*1000, whatever the window
              --log             one line per request on stdout: epoch ms, key hash, status

            The key is the Authorization header value + the "model" of the JSON body (either may be absent).
            A key's windows start when its first request arrives and repeat every window length after it.

              POST .../completions  (any path ending in /completions, /responses or /embeddings)
                                    fits the window: 200 with a minimal chat.completion (non-streamed), after
                                    the latency; over it: 429 rate_limit_exceeded with retry-after(-ms).
                                    Every answer has x-ratelimit-{limit,remaining,reset}-{requests,tokens} and
                                    x-request-id; a 429 is counted in no window.
              GET  /v1/models       a short model list (not limited)
              GET  /__stats         {"requests","ok","limited","byKey":{KEYHASH/MODEL:{requests,ok,limited,
                                    windows,peakPerWindow}}}; peakPerWindow counts every arrival (429s too)
              POST /__reset         zero the counters and forget every window
            """;

    private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern MAX_TOKENS = Pattern.compile("\"max(?:_completion)?_tokens\"\\s*:\\s*(\\d+)");
    private static final int MAX_BODY = 1 << 20;
    private static final long DEFAULT_TOKEN_LIMIT = 1_000_000;

    /** One key's fixed window. All fields are guarded by the instance. */
    private static final class KeyState {
        final String label;
        long origin = -1;
        long windowIndex = -1;
        int used;
        long tokensUsed;
        int arrivals;
        long requests;
        long ok;
        long limited;
        long windows;
        int peakPerWindow;

        KeyState(String label) {
            this.label = label;
        }

        /** Moves to the window holding NOW; returns the window's end, in ms. */
        long roll(long now, long windowMs) {
            if (origin < 0) {
                origin = now;
            }
            long index = (now - origin) / windowMs;
            if (index != windowIndex) {
                windowIndex = index;
                used = 0;
                tokensUsed = 0;
                arrivals = 0;
                windows++;
            }
            return origin + (index + 1) * windowMs;
        }
    }

    /** What was decided for one request, under its key's lock. */
    private record Decision(boolean allowed, String type, int remaining, long remainingTokens, long resetMs) {
    }

    private final int limit;
    private final long windowMs;
    private final long latencyMs;
    private final long tokenLimit; // <= 0: not enforced
    private final long forcedRetryAfter; // < 0: none
    private final boolean log;
    private final Map<String, KeyState> keys = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong limited = new AtomicLong();
    private final ScheduledExecutorService delayer = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "latency");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService writers = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "writer");
        t.setDaemon(true);
        return t;
    });

    private LimitedUpstream(int limit, long windowMs, long latencyMs, long tokenLimit, long forcedRetryAfter,
            boolean log) {
        this.limit = limit;
        this.windowMs = windowMs;
        this.latencyMs = latencyMs;
        this.tokenLimit = tokenLimit;
        this.forcedRetryAfter = forcedRetryAfter;
        this.log = log;
    }

    public static void main(String[] args) throws IOException {
        String host = "127.0.0.1";
        int port = 0;
        int limit = 20;
        long window = 2000;
        long latency = 5;
        long tokenLimit = 0;
        long retryAfter = -1;
        boolean log = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--port", "-p" -> port = (int) number(arg, value(args, ++i), 0, 65535);
                case "--host" -> host = value(args, ++i);
                case "--limit" -> limit = (int) number(arg, value(args, ++i), 1, Integer.MAX_VALUE);
                case "--window" -> window = duration(arg, value(args, ++i), 1);
                case "--latency" -> latency = duration(arg, value(args, ++i), 0);
                case "--token-limit" -> tokenLimit = number(arg, value(args, ++i), 1, Long.MAX_VALUE);
                case "--retry-after" -> retryAfter = number(arg, value(args, ++i), 0, 86_400);
                case "--log" -> log = true;
                case "--help", "-h" -> {
                    System.out.print(HELP);
                    return;
                }
                default -> usage("unknown option '" + arg + "'");
            }
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 512);
        } catch (IOException e) {
            System.err.println("limited-upstream: cannot listen on " + host + ":" + port + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        LimitedUpstream upstream = new LimitedUpstream(limit, window, latency, tokenLimit, retryAfter, log);
        server.createContext("/", upstream::handle);
        // Handler threads only read the request and decide; answers after the latency leave from the delayer, so
        // 128 threads carry far more than 64 keep-alive connections (idle ones hold no thread).
        server.setExecutor(Executors.newFixedThreadPool(128));
        server.start();
        System.out.println("listening on " + server.getAddress().getPort());
        System.out.flush();
        System.err.println("limited-upstream: http://" + host + ":" + server.getAddress().getPort() + " limit "
                + limit + " per " + window + " ms per key, latency " + latency + " ms"
                + (tokenLimit > 0 ? ", token limit " + tokenLimit : "")
                + (retryAfter >= 0 ? ", every 429 says retry-after " + retryAfter : ""));
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static long number(String option, String text, long min, long max) {
        try {
            long n = Long.parseLong(text.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage(option + ": not a number in [" + min + ", " + max + "]: '" + text + "'");
        return 0;
    }

    /** Parses 250ms, 2s, 1.5s, 1m or a bare number of seconds into milliseconds. */
    static long duration(String option, String text, long min) {
        String t = text.trim().toLowerCase();
        double factor = 1000;
        if (t.endsWith("ms")) {
            factor = 1;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            factor = 60_000;
            t = t.substring(0, t.length() - 1);
        }
        try {
            double v = Double.parseDouble(t);
            long ms = Math.round(v * factor);
            if (v >= 0 && ms >= min && !Double.isInfinite(v)) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage(option + ": not a duration (like 500ms or 2s, at least " + min + " ms): '" + text + "'");
        return 0;
    }

    private static void usage(String problem) {
        System.err.println("limited-upstream: " + problem + " (see --help)");
        System.exit(2);
    }

    private void handle(HttpExchange exchange) {
        boolean answered = true;
        try {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY);
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
            String requestId = "req_lim_" + ids.incrementAndGet();
            exchange.getResponseHeaders().set("x-request-id", requestId);

            if (path.equals("/__stats") && method.equals("GET")) {
                json(exchange, 200, stats());
                return;
            }
            if (path.equals("/__reset") && method.equals("POST")) {
                keys.clear();
                requests.set(0);
                ok.set(0);
                limited.set(0);
                json(exchange, 200, "{\"reset\":true}");
                return;
            }
            if (path.equals("/v1/models") && method.equals("GET")) {
                json(exchange, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\",\"object\":\"model\","
                        + "\"created\":1721172741,\"owned_by\":\"system\"}]}");
                return;
            }
            if (!(path.endsWith("/completions") || path.endsWith("/responses") || path.endsWith("/embeddings"))) {
                error(exchange, 404, "Unknown request URL: " + method + " " + path, "invalid_request_error",
                        "unknown_url");
                return;
            }
            if (!method.equals("POST")) {
                error(exchange, 405, "Method " + method + " is not allowed on " + path, "invalid_request_error",
                        "method_not_allowed");
                return;
            }
            answered = limited(exchange, body);
        } catch (IOException | RuntimeException e) {
            // the client went away, or a bug: drop the connection
            answered = true;
        } finally {
            if (answered) {
                exchange.close();
            }
        }
    }

    /** The rate-limited endpoint; returns false when the answer is left to the delayer. */
    private boolean limited(HttpExchange exchange, byte[] body) throws IOException {
        String text = new String(body, StandardCharsets.UTF_8);
        Matcher m = MODEL.matcher(text);
        String model = m.find() ? m.group(1) : "";
        Matcher mt = MAX_TOKENS.matcher(text);
        long maxTokens = mt.find() ? Long.parseLong(mt.group(1)) : 0;
        long cost = body.length / 4 + maxTokens;
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        String keyHash = hash(auth == null ? "" : auth);
        String label = keyHash + "/" + (model.isEmpty() ? "-" : model);
        KeyState state = keys.computeIfAbsent(label, KeyState::new);

        long now = System.currentTimeMillis();
        Decision d;
        synchronized (state) {
            long end = state.roll(now, windowMs);
            state.arrivals++;
            state.peakPerWindow = Math.max(state.peakPerWindow, state.arrivals);
            state.requests++;
            long tokenCap = tokenLimit > 0 ? tokenLimit : DEFAULT_TOKEN_LIMIT;
            boolean requestsOk = state.used < limit;
            boolean tokensOk = tokenLimit <= 0 || state.tokensUsed + cost <= tokenLimit;
            if (requestsOk && tokensOk) {
                state.used++;
                state.tokensUsed += cost;
                state.ok++;
                d = new Decision(true, null, limit - state.used, Math.max(0, tokenCap - state.tokensUsed), end - now);
            } else {
                state.limited++;
                d = new Decision(false, requestsOk ? "tokens" : "requests", requestsOk ? limit - state.used : 0,
                        Math.max(0, tokenCap - state.tokensUsed), end - now);
            }
        }
        requests.incrementAndGet();

        var h = exchange.getResponseHeaders();
        String reset = goDuration(d.resetMs);
        h.set("x-ratelimit-limit-requests", String.valueOf(limit));
        h.set("x-ratelimit-remaining-requests", String.valueOf(d.remaining));
        h.set("x-ratelimit-reset-requests", reset);
        h.set("x-ratelimit-limit-tokens", String.valueOf(tokenLimit > 0 ? tokenLimit : DEFAULT_TOKEN_LIMIT));
        h.set("x-ratelimit-remaining-tokens", String.valueOf(d.remainingTokens));
        h.set("x-ratelimit-reset-tokens", reset);
        if (log) {
            System.out.println(now + " " + label + " " + (d.allowed ? 200 : 429));
        }
        if (!d.allowed) {
            limited.incrementAndGet();
            long waitMs = forcedRetryAfter >= 0 ? forcedRetryAfter * 1000 : Math.max(0, d.resetMs);
            h.set("retry-after-ms", String.valueOf(waitMs));
            h.set("retry-after", String.valueOf((waitMs + 999) / 1000));
            String what = d.type.equals("requests") ? "requests per window (RPW): Limit " + limit + ", Used " + limit
                    : "tokens per window (TPW): Limit " + tokenLimit + ", Requested " + cost;
            error(exchange, 429, "Rate limit reached for " + (model.isEmpty() ? "default-model" : model)
                    + " in organization org-limited on " + what + ". Please try again in " + goDuration(waitMs) + ".",
                    d.type, "rate_limit_exceeded");
            return true;
        }
        ok.incrementAndGet();
        String json = completion(exchange.getResponseHeaders().getFirst("x-request-id"), model, cost, maxTokens);
        if (latencyMs <= 0) {
            json(exchange, 200, json);
            return true;
        }
        delayer.schedule(() -> writers.execute(() -> {
            try (exchange) {
                json(exchange, 200, json);
            } catch (IOException | RuntimeException e) {
                // the client went away
            }
        }), latencyMs, TimeUnit.MILLISECONDS);
        return false;
    }

    private static String completion(String requestId, String model, long cost, long maxTokens) {
        long completion = Math.min(2, Math.max(1, maxTokens));
        return "{\"id\":\"chatcmpl-" + requestId + "\",\"object\":\"chat.completion\",\"created\":"
                + System.currentTimeMillis() / 1000 + ",\"model\":\"" + (model.isEmpty() ? "gpt-4o-mini" : model)
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + Math.max(1, cost - maxTokens)
                + ",\"completion_tokens\":" + completion + ",\"total_tokens\":"
                + (Math.max(1, cost - maxTokens) + completion) + "}}";
    }

    private String stats() {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"requests\":").append(requests.get()).append(",\"ok\":").append(ok.get())
                .append(",\"limited\":").append(limited.get()).append(",\"limit\":").append(limit)
                .append(",\"windowMs\":").append(windowMs).append(",\"byKey\":{");
        Map<String, KeyState> sorted = new TreeMap<>(keys);
        boolean first = true;
        for (KeyState s : sorted.values()) {
            synchronized (s) {
                sb.append(first ? "" : ",").append('"').append(s.label.replace("\\", "\\\\").replace("\"", "\\\""))
                        .append("\":{\"requests\":").append(s.requests).append(",\"ok\":").append(s.ok)
                        .append(",\"limited\":").append(s.limited).append(",\"windows\":").append(s.windows)
                        .append(",\"peakPerWindow\":").append(s.peakPerWindow).append('}');
            }
            first = false;
        }
        return sb.append("}}").toString();
    }

    /**
     * Formats milliseconds as Go's time.Duration.String() does (what OpenAI's x-ratelimit-reset-* headers use):
     * 0s, 345ms, 1.234s, 2s, 1m0.5s, 1h2m3s.
     */
    static String goDuration(long ms) {
        if (ms <= 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long s = ms / 1000 % 60;
        long frac = ms % 1000;
        StringBuilder sb = new StringBuilder();
        if (h > 0) {
            sb.append(h).append('h');
        }
        if (h > 0 || m > 0) {
            sb.append(m).append('m');
        }
        sb.append(s);
        if (frac > 0) {
            String f = String.format("%03d", frac).replaceAll("0+$", "");
            sb.append('.').append(f);
        }
        return sb.append('s').toString();
    }

    private static String hash(String value) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(HttpExchange exchange, int status, String message, String type, String code)
            throws IOException {
        json(exchange, status, "{\"error\":{\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"")
                + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":" + (code == null ? "null" : "\"" + code
                + "\"") + "}}");
    }

    private static void json(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
