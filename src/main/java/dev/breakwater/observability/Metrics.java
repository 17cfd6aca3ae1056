package dev.breakwater.observability;

import dev.breakwater.time.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process's one meter registry (Prometheus) and the Resilience4j registries bound to it, plus the
 * per-route meter sets. {@code Main} owns the single instance; nothing here is static.
 */
public final class Metrics {
    /** Distinct models with a label of their own unless configured otherwise. */
    public static final int DEFAULT_MAX_MODELS = 100;

    private final PrometheusMeterRegistry registry;
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final RetryRegistry retries = RetryRegistry.ofDefaults();
    private final Map<String, RouteMetrics> routes = new ConcurrentHashMap<>();
    private final ModelLabels models;
    private final Counter reloadsApplied;
    private final Counter reloadsRejected;
    private final Ticker ticker;
    /** The current request's trace for exemplars, or null when tracing is off. */
    private final TraceExemplars exemplars;

    /** The Prometheus text format's content type. */
    public static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
    /** The OpenMetrics format's content type: the one that carries exemplars. */
    public static final String OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** Metrics on the system's monotonic clock. */
    public Metrics() {
        this(Ticker.system(), DEFAULT_MAX_MODELS);
    }

    /** @param ticker the clock the status page's recent-traffic windows move with */
    public Metrics(Ticker ticker) {
        this(ticker, DEFAULT_MAX_MODELS);
    }

    /**
     * @param ticker the clock the status page's recent-traffic windows move with
     * @param maxModels how many distinct models get a {@code model} label of their own (later ones: other)
     */
    public Metrics(Ticker ticker, int maxModels) {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), ticker, maxModels, null);
    }

    /**
     * As {@link #Metrics(Ticker, int)}, with exemplars: request counters and durations point at the trace of a
     * request they counted (in the OpenMetrics exposition). For a process that traces.
     */
    public static Metrics withExemplars(Ticker ticker, int maxModels) {
        TraceExemplars exemplars = new TraceExemplars();
        return new Metrics(
                new PrometheusMeterRegistry(
                        PrometheusConfig.DEFAULT,
                        new io.prometheus.metrics.model.registry.PrometheusRegistry(),
                        io.micrometer.core.instrument.Clock.SYSTEM,
                        exemplars),
                ticker,
                maxModels,
                exemplars);
    }

    Metrics(PrometheusMeterRegistry registry, Ticker ticker, int maxModels) {
        this(registry, ticker, maxModels, null);
    }

    private Metrics(PrometheusMeterRegistry registry, Ticker ticker, int maxModels, TraceExemplars exemplars) {
        this.registry = registry;
        this.exemplars = exemplars;
        this.ticker = ticker;
        this.models = new ModelLabels(maxModels);
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
        TaggedRetryMetrics.ofRetryRegistry(retries).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        reloadsApplied = Counter.builder("breakwater_config_reloads")
                .tag("result", "applied")
                .description("Configuration reloads applied")
                .register(registry);
        reloadsRejected = Counter.builder("breakwater_config_reloads")
                .tag("result", "rejected")
                .description("Configuration reloads refused because the new file was invalid")
                .register(registry);
    }

    /** The registry, for Vert.x's own metrics and the scrape endpoint. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Resilience4j breakers; route breakers are created here so their metrics are bound. */
    public CircuitBreakerRegistry breakers() {
        return breakers;
    }

    /** Resilience4j retries; route retries are created here so their metrics are bound. */
    public RetryRegistry retries() {
        return retries;
    }

    /** The meters of route {@code name}, created on first use and kept across reloads. */
    public RouteMetrics route(String name) {
        return routes.computeIfAbsent(name, n -> new RouteMetrics(n, registry, ticker, models, exemplars));
    }

    /** Exposes the bytes held in replay buffers and their limit. */
    public void replayMemory(java.util.function.LongSupplier used, long limit) {
        io.micrometer.core.instrument.Gauge.builder("breakwater_buffered_body_bytes", used::getAsLong)
                .description("Bytes of request bodies held in replay buffers, all routes together")
                .baseUnit("bytes")
                .register(registry);
        io.micrometer.core.instrument.Gauge.builder("breakwater_buffered_body_limit_bytes", () -> limit)
                .description("The most bytes replay buffers may hold together (limits.max-buffered-bodies)")
                .baseUnit("bytes")
                .register(registry);
    }

    /** A reload was applied ({@code true}) or refused. */
    public void reload(boolean applied) {
        (applied ? reloadsApplied : reloadsRejected).increment();
    }

    /** The Prometheus text exposition; gauges with a row per rate-limit key are refreshed first. */
    public String scrape() {
        routes.values().forEach(RouteMetrics::refreshQueues);
        return registry.scrape();
    }

    /**
     * The exposition a scraper asked for with {@code accept} (its {@code Accept} header, or null): OpenMetrics, with
     * exemplars when tracing is on, if it names {@code application/openmetrics-text}, else Prometheus text.
     */
    public Scrape scrape(String accept) {
        if (accept == null || !accept.contains("application/openmetrics-text")) {
            return new Scrape(TEXT_FORMAT, scrape());
        }
        routes.values().forEach(RouteMetrics::refreshQueues);
        return new Scrape(OPENMETRICS_FORMAT, registry.scrape(OPENMETRICS_FORMAT));
    }

    /**
     * One scrape's answer.
     *
     * @param contentType its content type
     * @param body the exposition
     */
    public record Scrape(String contentType, String body) {}

    /** A registry for tests and tools that need meters but no exposition. */
    public static MeterRegistry simple() {
        return new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    }
}
