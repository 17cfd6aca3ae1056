package dev.breakwater.observability;

import dev.breakwater.resilience.WaitSource;
import dev.breakwater.time.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Breakwater's own meters for one route, all labelled {@code route}. Meters are looked up once per tag
 * combination and cached, so recording on the event loop is a map hit and an atomic add.
 */
public final class RouteMetrics {
    private static final Duration[] LATENCY_BUCKETS =
            buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600);
    private static final Duration[] OVERHEAD_BUCKETS =
            buckets(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1);

    private static final int OUTCOMES = AccessLog.Outcome.values().length;

    private final String route;
    private final MeterRegistry registry;
    /** Request counters by model label, then status class (0-5, 0 = none) and outcome, created on first use. */
    private final Map<String, AtomicReferenceArray<Counter>> requests = new ConcurrentHashMap<>();

    /** Attempt counters by upstream, then model label, then outcome: lookups only, no key built per attempt. */
    private final Map<String, Map<String, Map<String, Counter>>> attempts = new ConcurrentHashMap<>();

    /** Token counters by model label: input, then output. */
    private final Map<String, Counter[]> tokens = new ConcurrentHashMap<>();

    private final ModelLabels models;
    /** Where the request being counted is named for exemplars; null when tracing is off. */
    private final TraceExemplars exemplars;

    private final Map<WaitSource, Timer> retryWaits = new ConcurrentHashMap<>();
    private final Timer duration;
    private final Timer timeToFirstByte;
    private final Timer overhead;
    private final java.util.concurrent.atomic.LongAdder requestsTotal = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder retriesTotal = new java.util.concurrent.atomic.LongAdder();
    private final AtomicReference<IntSupplier> held = new AtomicReference<>(() -> 0);
    private final AtomicReference<LongSupplier> budgetRefused = new AtomicReference<>(() -> 0);
    private final AtomicReference<IntSupplier> idempotencyKeys = new AtomicReference<>(() -> 0);
    private final Map<String, Counter> idempotencyOutcomes = new ConcurrentHashMap<>();
    private final Map<String, Counter> retryStops = new ConcurrentHashMap<>();
    private final AtomicReference<Supplier<List<QueuedKey>>> queues = new AtomicReference<>(List::of);
    private final MultiGauge queued;
    private final StreamMetrics streams;
    /** Wait timers per upstream and key, bounded: keys past the bound share the label {@code other}. */
    private final Map<String, Timer> gateWaits = new ConcurrentHashMap<>();

    private static final int MAX_KEY_LABELS = 500;

    /** WebSocket session counters by upstream, then outcome (opened, refused, failed). */
    private final Map<String, Map<String, Counter>> webSocketSessions = new ConcurrentHashMap<>();
    /** WebSocket session ends by who or what closed them (a fixed set of labels). */
    private final Map<String, Counter> webSocketCloses = new ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicInteger webSocketsOpen =
            new java.util.concurrent.atomic.AtomicInteger();
    private final Counter framesToUpstream;
    private final Counter framesToClient;
    private final Counter bytesToUpstream;
    private final Counter bytesToClient;
    /** The last minute of the route's requests, and of each upstream's attempts, for the status page. */
    private final RecentTraffic traffic;

    private final Map<String, RecentTraffic> upstreamTraffic = new ConcurrentHashMap<>();
    private final Ticker ticker;

    /**
     * Requests waiting for one rate-limit key.
     *
     * @param upstream the upstream's name
     * @param key the gate's key (address, credential fingerprint, model; never a credential)
     * @param count requests waiting
     */
    public record QueuedKey(String upstream, String key, int count) {}

    RouteMetrics(String route, MeterRegistry registry, Ticker ticker, ModelLabels models, TraceExemplars exemplars) {
        this.exemplars = exemplars;
        this.route = route;
        this.registry = registry;
        this.models = models;
        this.ticker = ticker;
        this.traffic = new RecentTraffic(ticker);
        this.streams = new StreamMetrics(route, registry);
        this.duration = Timer.builder("breakwater_request_duration")
                .tag("route", route)
                .description("Whole request, from arrival to the last byte sent, every attempt and wait included")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        this.timeToFirstByte = Timer.builder("breakwater_time_to_first_byte")
                .tag("route", route)
                .description("From arrival until the response head is sent to the client")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        this.overhead = Timer.builder("breakwater_proxy_overhead")
                .tag("route", route)
                .description("Time spent in Breakwater itself: excludes the client's upload, upstream time and "
                        + "retry waits")
                .serviceLevelObjectives(OVERHEAD_BUCKETS)
                .register(registry);
        Gauge.builder(
                        "breakwater_idempotency_keys",
                        idempotencyKeys,
                        k -> k.get().getAsInt())
                .tag("route", route)
                .description("Idempotency-Key records the route keeps (in flight or finished)")
                .register(registry);
        Gauge.builder("breakwater_ratelimit_held_requests", held, h -> h.get().getAsInt())
                .tag("route", route)
                .description("Requests currently held by the route's rate-limit gates")
                .register(registry);
        this.queued = MultiGauge.builder("breakwater_ratelimit_queued")
                .tag("route", route)
                .description("Requests waiting per rate-limit key (held by pacing or a 429 closure)")
                .register(registry);
        this.framesToUpstream = frames(registry, route, "to_upstream");
        this.framesToClient = frames(registry, route, "to_client");
        this.bytesToUpstream = frameBytes(registry, route, "to_upstream");
        this.bytesToClient = frameBytes(registry, route, "to_client");
        Gauge.builder(
                        "breakwater_websocket_active_sessions",
                        webSocketsOpen,
                        java.util.concurrent.atomic.AtomicInteger::get)
                .tag("route", route)
                .description("WebSocket sessions open now")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder(
                        "breakwater_retry_budget_refused",
                        budgetRefused,
                        b -> b.get().getAsLong())
                .tag("route", route)
                .description("Retries refused because the route's retry budget was spent")
                .register(registry);
    }

    /** Points the gauges at the current route objects (called again after a reload). */
    public void bind(IntSupplier heldRequests, LongSupplier refusedRetries) {
        held.set(heldRequests);
        budgetRefused.set(refusedRetries);
    }

    /**
     * A request's attempts ended after a failed one (no response, or 400 or more), for {@code reason}: a
     * {@code StopReason} label ({@code attempts_exhausted}, {@code retry_budget_exhausted}, {@code circuit_open},
     * {@code deadline}, {@code status_not_retryable}, {@code retry_after_too_long}, ...).
     */
    public void retryStopped(String reason) {
        retryStops
                .computeIfAbsent(
                        reason,
                        k -> Counter.builder("breakwater_retry_stops")
                                .tag("route", route)
                                .tag("reason", reason)
                                .description("Failed attempts after which no retry followed, by why")
                                .register(registry))
                .increment();
    }

    /** Points the idempotency-key gauge at the current route's store (called again after a reload). */
    public void bindIdempotency(IntSupplier keys) {
        idempotencyKeys.set(keys);
    }

    /**
     * A request with an {@code Idempotency-Key} was claimed: {@code first} (it goes upstream), {@code replayed},
     * {@code in_flight} (409, or waited), {@code reused} (422) or {@code not_stored} (409).
     */
    public void idempotency(String outcome) {
        idempotencyOutcomes
                .computeIfAbsent(
                        outcome,
                        k -> Counter.builder("breakwater_idempotency_requests")
                                .tag("route", route)
                                .tag("outcome", outcome)
                                .description("Requests with an Idempotency-Key, by what the store said of them")
                                .register(registry))
                .increment();
    }

    /** Points the per-key queue gauge at the current route's gates (called again after a reload). */
    public void bindQueues(Supplier<List<QueuedKey>> waiting) {
        queues.set(waiting);
    }

    /** Refreshes the per-key queue gauge's rows (keys with nobody waiting drop out). */
    void refreshQueues() {
        queued.register(
                queues.get().get().stream()
                        .map(q -> MultiGauge.Row.of(Tags.of("upstream", q.upstream(), "key", q.key()), q.count()))
                        .toList(),
                true);
    }

    /** A request was held {@code nanos} for rate-limit key {@code key} of {@code upstream}. */
    public void gateWait(String upstream, String key, long nanos) {
        String label = gateWaits.size() < MAX_KEY_LABELS || gateWaits.containsKey(upstream + " " + key) ? key : "other";
        gateWaits
                .computeIfAbsent(
                        upstream + " " + label,
                        k -> Timer.builder("breakwater_ratelimit_wait")
                                .tag("route", route)
                                .tag("upstream", upstream)
                                .tag("key", label)
                                .description("How long requests waited per rate-limit key (pacing or a 429 closure)")
                                .serviceLevelObjectives(LATENCY_BUCKETS)
                                .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A finished request: its status ({@code 0} when none was sent), outcome, the model it named (null: none) and
     * its duration in nanoseconds.
     */
    public void request(int status, AccessLog.Outcome outcome, String model, long durationNanos) {
        request(status, outcome, model, durationNanos, RequestTrace.OFF);
    }

    /** As {@link #request(int, AccessLog.Outcome, String, long)}, with the request's trace for exemplars. */
    public void request(int status, AccessLog.Outcome outcome, String model, long durationNanos, RequestTrace trace) {
        if (exemplars != null && trace.enabled()) {
            exemplars.recording(trace, () -> count(status, outcome, model, durationNanos));
        } else {
            count(status, outcome, model, durationNanos);
        }
    }

    private void count(int status, AccessLog.Outcome outcome, String model, long durationNanos) {
        int statusClass = status >= 100 && status < 600 ? status / 100 : 0;
        int slot = statusClass * OUTCOMES + outcome.ordinal();
        String modelLabel = models.of(model);
        AtomicReferenceArray<Counter> byStatus =
                requests.computeIfAbsent(modelLabel, m -> new AtomicReferenceArray<>(6 * OUTCOMES));
        Counter counter = byStatus.get(slot);
        if (counter == null) {
            // Registering twice is harmless: Micrometer returns the meter already registered.
            counter = Counter.builder("breakwater_requests")
                    .tag("route", route)
                    .tag("model", modelLabel)
                    .tag("status_class", statusClass(status))
                    .tag("outcome", outcome.label())
                    .description("Requests by model, status class and outcome")
                    .register(registry);
            byStatus.set(slot, counter);
        }
        counter.increment();
        duration.record(durationNanos, TimeUnit.NANOSECONDS);
        requestsTotal.increment();
    }

    /**
     * Tokens a response reported in its {@code usage} ({@code -1}: not reported), by the model the request asked
     * for.
     */
    public void tokens(String model, long input, long output) {
        Counter[] pair = tokens.computeIfAbsent(
                models.of(model), label -> new Counter[] {tokenCounter(label, "input"), tokenCounter(label, "output")});
        if (input > 0) {
            pair[0].increment(input);
        }
        if (output > 0) {
            pair[1].increment(output);
        }
    }

    private Counter tokenCounter(String modelLabel, String kind) {
        return Counter.builder("breakwater_tokens")
                .tag("route", route)
                .tag("model", modelLabel)
                .tag("kind", kind)
                .description("Tokens reported in responses' usage, by model and kind (input or output)")
                .register(registry);
    }

    /** Requests finished on this route since start. */
    public long requestsTotal() {
        return requestsTotal.sum();
    }

    /** Retries scheduled on this route since start (gate holds included). */
    public long retriesTotal() {
        return retriesTotal.sum();
    }

    /**
     * One upstream attempt's outcome: {@code 429}, a status class ({@code 2xx}...) or a failure kind.
     *
     * @param upstream the upstream's name (the route's own for its primary)
     * @param model the model the upstream was asked for, or null
     */
    public void attempt(String upstream, String model, String outcome) {
        attempt(upstream, model, outcome, -1);
    }

    /**
     * One upstream attempt's outcome, as {@link #attempt(String, String, String)}, and how long the upstream took
     * to answer it ({@code nanos}, until the response head or the held stream's first event; -1 when not
     * measured), for the status page's per-upstream percentiles.
     */
    public void attempt(String upstream, String model, String outcome, long nanos) {
        String modelLabel = models.of(model);
        attempts.computeIfAbsent(upstream, u -> new ConcurrentHashMap<>())
                .computeIfAbsent(modelLabel, m -> new ConcurrentHashMap<>())
                .computeIfAbsent(
                        outcome,
                        k -> Counter.builder("breakwater_upstream_attempts")
                                .tag("route", route)
                                .tag("upstream", upstream)
                                .tag("model", modelLabel)
                                .tag("outcome", outcome)
                                .description("Upstream attempts by upstream, model and outcome")
                                .register(registry))
                .increment();
        upstreamTraffic(upstream)
                .attempt(
                        failedAttempt(outcome),
                        outcome.equals("4xx") || outcome.equals("429"),
                        outcome.equals("cancelled") ? -1 : nanos);
    }

    /** A 5xx, or a failure before headers; not a 1xx-4xx, nor an attempt {@code cancelled} by its request's end. */
    private static boolean failedAttempt(String outcome) {
        return outcome.equals("5xx")
                || !(outcome.endsWith("xx") || outcome.equals("429") || outcome.equals("cancelled"));
    }

    /** The route's requests in the last minute. */
    public RecentTraffic traffic() {
        return traffic;
    }

    /** The attempts to upstream {@code name} (the route's own name for its primary) in the last minute. */
    public RecentTraffic upstreamTraffic(String name) {
        return upstreamTraffic.computeIfAbsent(name, n -> new RecentTraffic(ticker, traffic.originNanos()));
    }

    /**
     * The attempt outcome label of an answer: {@code 429} on its own (rate limiting is what operators watch
     * for), else its status class.
     */
    public static String attemptOutcome(int status) {
        return status == 429 ? "429" : statusClass(status);
    }

    /** A retry wait of {@code millis}, set by {@code source} (backoff, retry-after, ratelimit-reset, gate...). */
    public void retryWait(WaitSource source, long millis) {
        retryWaits
                .computeIfAbsent(
                        source,
                        k -> Timer.builder("breakwater_retry_wait")
                                .tag("route", route)
                                .tag("reason", source.label())
                                .description("Waits before retries, by what set their length")
                                .register(registry))
                .record(millis, TimeUnit.MILLISECONDS);
        retriesTotal.increment();
    }

    /** The route's meters for streamed responses. */
    public StreamMetrics streams() {
        return streams;
    }

    /** Time to the first byte of the response head. */
    public void timeToFirstByte(long nanos) {
        timeToFirstByte.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Breakwater's own share of a request's latency. */
    public void overhead(long nanos) {
        overhead.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A WebSocket upgrade's handshake ended: {@code opened} (the upstream switched protocols), {@code refused}
     * (Breakwater refused it: breaker open, rate limited, deadline) or {@code failed} (the upstream answered
     * otherwise, or could not be reached). Upgrades are counted in {@code breakwater_requests} as well.
     *
     * @param upstream the upstream's name, or {@code none} when none was chosen
     */
    public void webSocketSession(String upstream, String outcome) {
        webSocketSessions
                .computeIfAbsent(upstream, u -> new ConcurrentHashMap<>())
                .computeIfAbsent(
                        outcome,
                        k -> Counter.builder("breakwater_websocket_sessions")
                                .tag("route", route)
                                .tag("upstream", upstream)
                                .tag("outcome", outcome)
                                .description("WebSocket upgrades by upstream and handshake outcome")
                                .register(registry))
                .increment();
        if ("opened".equals(outcome)) {
            webSocketsOpen.incrementAndGet();
        }
    }

    /**
     * An open WebSocket session ended, closed by {@code by}: {@code client}, {@code upstream}, {@code client_lost}
     * or {@code upstream_lost} (the connection broke without a close frame), {@code idle_timeout} or
     * {@code total_timeout}.
     */
    public void webSocketClosed(String by) {
        webSocketsOpen.decrementAndGet();
        webSocketCloses
                .computeIfAbsent(
                        by,
                        k -> Counter.builder("breakwater_websocket_closes")
                                .tag("route", route)
                                .tag("by", by)
                                .description("Open WebSocket sessions ended, by who or what closed them")
                                .register(registry))
                .increment();
    }

    /** One data frame (text, binary or continuation) of {@code bytes} relayed towards the upstream or the client. */
    public void webSocketFrame(boolean toUpstream, int bytes) {
        (toUpstream ? framesToUpstream : framesToClient).increment();
        (toUpstream ? bytesToUpstream : bytesToClient).increment(bytes);
    }

    private static Counter frames(MeterRegistry registry, String route, String direction) {
        return Counter.builder("breakwater_websocket_frames")
                .tag("route", route)
                .tag("direction", direction)
                .description("WebSocket data frames relayed, by direction (pings, pongs and closes not included)")
                .register(registry);
    }

    private static Counter frameBytes(MeterRegistry registry, String route, String direction) {
        return Counter.builder("breakwater_websocket_payload_bytes")
                .tag("route", route)
                .tag("direction", direction)
                .description("Payload bytes of the WebSocket data frames relayed, by direction")
                .register(registry);
    }

    /** {@code 2xx} for 200..299, and so on; {@code none} for 0. */
    public static String statusClass(int status) {
        return switch (status / 100) {
            case 1 -> "1xx";
            case 2 -> "2xx";
            case 3 -> "3xx";
            case 4 -> "4xx";
            case 5 -> "5xx";
            default -> "none";
        };
    }

    private static Duration[] buckets(double... seconds) {
        Duration[] out = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return out;
    }
}
