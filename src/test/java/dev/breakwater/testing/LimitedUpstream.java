package dev.breakwater.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-like upstream on a loopback ephemeral port that enforces a real rate limit: a fixed window of
 * {@code limit} requests per {@code window} per API key, the window starting with the key's first request. Each
 * answer carries correct {@code x-ratelimit-*} headers; a request over the limit gets a 429 with
 * {@code retry-after-ms} (and {@code retry-after}, or a fixed {@code retry-after} when one is forced). Counts
 * what it answered, so tests can assert on what the upstream saw.
 */
public final class LimitedUpstream implements AutoCloseable {
    private static final String OK = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"ok\",\"refusal\":null},\"finish_reason\":\"stop\",\"logprobs\":null}],"
            + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}";
    private static final String LIMITED = "{\"error\":{\"message\":\"Rate limit reached for requests\","
            + "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private volatile int limit;
    private final long windowNanos;
    private volatile long forcedRetryAfterSeconds = -1;
    private volatile boolean failing;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger limited = new AtomicInteger();
    /** When the last 429 was answered, per key ({@link System#nanoTime}). */
    private final Map<String, Long> lastLimitedNanos = new ConcurrentHashMap<>();
    /** When each request arrived ({@link System#nanoTime}), in order. */
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();

    private static final class Window {
        long startNanos;
        int used;
    }

    private LimitedUpstream(int limit, long windowMillis) {
        this.limit = limit;
        this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
        this.server = vertx.createHttpServer().requestHandler(this::handle);
    }

    /** Starts an upstream allowing {@code limit} requests per {@code windowMillis} per key. */
    public static LimitedUpstream start(int limit, long windowMillis) {
        LimitedUpstream upstream = new LimitedUpstream(limit, windowMillis);
        upstream.server.listen(0, "127.0.0.1").await();
        return upstream;
    }

    public int port() {
        return server.actualPort();
    }

    /** Requests answered 200. */
    public int ok() {
        return ok.get();
    }

    /** Requests answered 429. */
    public int limited() {
        return limited.get();
    }

    /** From now on every 429 says {@code retry-after: seconds} instead of the window's end. */
    public void forceRetryAfter(long seconds) {
        forcedRetryAfterSeconds = seconds;
    }

    /** From now on every request is answered 503 (true), or served again (false). */
    public void setFailing(boolean failing) {
        this.failing = failing;
    }

    /** Changes the limit from the next window on (and for the current one). */
    public void setLimit(int limit) {
        this.limit = limit;
    }

    /** When each request arrived ({@link System#nanoTime}), in arrival order. */
    public List<Long> arrivals() {
        return List.copyOf(arrivals);
    }

    /** Ends every key's window now, as if it had run out, so that the next request of each is limited. */
    public void exhaustAll() {
        windows.values().forEach(w -> {
            synchronized (w) {
                w.used = limit;
            }
        });
    }

    /** Nanos ({@link System#nanoTime}) of the last 429, or -1. */
    public long lastLimitedNanos(String key) {
        return lastLimitedNanos.getOrDefault(key, -1L);
    }

    private void handle(HttpServerRequest request) {
        arrivals.add(System.nanoTime());
        request.body().onSuccess(body -> {
            if (failing) {
                request.response()
                        .setStatusCode(503)
                        .putHeader("content-type", "application/json")
                        .end("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":null}}");
                return;
            }
            String key = String.valueOf(request.getHeader("authorization"));
            Window window = windows.computeIfAbsent(key, k -> new Window());
            long now = System.nanoTime();
            int limit = this.limit;
            int remaining;
            long resetNanos;
            boolean allowed;
            synchronized (window) {
                if (window.startNanos == 0 || now - window.startNanos >= windowNanos) {
                    window.startNanos = now;
                    window.used = 0;
                }
                allowed = window.used < limit;
                if (allowed) {
                    window.used++;
                }
                remaining = limit - window.used;
                resetNanos = window.startNanos + windowNanos - now;
            }
            long resetMillis = Math.max(1, (resetNanos + 999_999) / 1_000_000);
            var response = request.response()
                    .putHeader("content-type", "application/json")
                    .putHeader("x-ratelimit-limit-requests", Integer.toString(limit))
                    .putHeader("x-ratelimit-remaining-requests", Integer.toString(remaining))
                    .putHeader("x-ratelimit-reset-requests", String.format(Locale.ROOT, "%.3fs", resetMillis / 1000.0))
                    .putHeader("x-ratelimit-limit-tokens", "1000000")
                    .putHeader("x-ratelimit-remaining-tokens", "999000")
                    .putHeader("x-ratelimit-reset-tokens", "1ms");
            if (allowed) {
                ok.incrementAndGet();
                response.setStatusCode(200).end(OK);
                return;
            }
            limited.incrementAndGet();
            lastLimitedNanos.put(key, now);
            long forced = forcedRetryAfterSeconds;
            long waitMillis = forced >= 0 ? forced * 1000 : resetMillis;
            response.setStatusCode(429)
                    .putHeader("retry-after-ms", Long.toString(waitMillis))
                    .putHeader("retry-after", Long.toString((waitMillis + 999) / 1000))
                    .end(LIMITED);
        });
    }

    @Override
    public void close() {
        vertx.close().await();
    }
}
