package dev.breakwater.admin;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.Durations;
import dev.breakwater.config.FallbackClass;
import dev.breakwater.config.RetrySpec;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.config.Sizes;
import dev.breakwater.config.TimeoutSpec;
import dev.breakwater.config.UpstreamTarget;
import dev.breakwater.observability.RecentTraffic;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.resilience.UpstreamGuard;
import dev.breakwater.routing.Route;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.TreeSet;

/** A route as the admin API shows it: where it goes, its effective policy (YAML spelling) and live state. */
final class RouteView {
    private RouteView() {}

    static JsonObject of(Route route) {
        RouteSpec spec = route.spec();
        JsonObject json = new JsonObject()
                .put("name", spec.name())
                .put("path-prefix", spec.pathPrefix())
                .put("upstream", spec.upstream().uri().toString())
                .put("strip-prefix", spec.stripPrefix())
                .put("provider", spec.provider().yamlName())
                .put(
                        "headers",
                        new JsonArray(new java.util.ArrayList<>(
                                new TreeSet<>(spec.headers().keySet()))))
                .put("upstreams", upstreams(route))
                .put(
                        "fallback-on",
                        new JsonArray(spec.fallbackOn().stream()
                                .sorted()
                                .map(FallbackClass::yamlName)
                                .toList()))
                .put("strategy", spec.strategy().yamlName())
                .put("timeouts", timeouts(spec.timeouts()))
                .put("retry", retry(spec.retry()))
                .put(
                        "retry-budget",
                        new JsonObject()
                                .put("percent", spec.retryBudget().percent())
                                .put("min-concurrency", spec.retryBudget().minConcurrency())
                                .put(
                                        "requests-in-flight",
                                        route.guard().budget().requestsInFlight())
                                .put("retries-in-flight", route.guard().budget().retriesInFlight())
                                .put("refused", route.guard().budget().refusedRetries()))
                .put(
                        "circuit-breaker",
                        breaker(spec.circuitBreaker(), route.guard().breaker().orElse(null)))
                .put(
                        "rate-limit-gate",
                        new JsonObject()
                                .put("enabled", route.guard().gate().isPresent())
                                .put(
                                        "held",
                                        route.guard().gate().map(g -> g.held()).orElse(0)));
        return json.put("requests-total", route.metrics().requestsTotal())
                .put("retries-total", route.metrics().retriesTotal())
                .put("recent", recentRequests(route.metrics().traffic().snapshot()));
    }

    /**
     * The route's requests in the last minute: rates, error and 4xx shares in percent (-1 with no request), the
     * latency percentiles in milliseconds (-1 with no request) and attempts per request.
     */
    private static JsonObject recentRequests(RecentTraffic.Snapshot window) {
        return new JsonObject()
                .put("window-seconds", round(window.seconds()))
                .put("requests", window.requests())
                .put("requests-per-second", round(window.requestsPerSecond()))
                .put("error-percent", round(window.errorPercent(window.requests())))
                .put("client-error-percent", round(window.clientErrorPercent(window.requests())))
                .put("p50-ms", millis(window.p50Nanos()))
                .put("p99-ms", millis(window.p99Nanos()))
                .put("attempts-per-request", round(window.attemptsPerRequest()));
    }

    /**
     * An upstream's attempts in the last minute: the rate, failed and 4xx shares in percent (-1 with none), and
     * the percentiles of how long it took to answer, in milliseconds (-1 with none).
     */
    private static JsonObject recentAttempts(RecentTraffic.Snapshot window) {
        return new JsonObject()
                .put("window-seconds", round(window.seconds()))
                .put("attempts", window.attempts())
                .put("attempts-per-second", round(window.attemptsPerSecond()))
                .put("failed-percent", round(window.errorPercent(window.attempts())))
                .put("client-error-percent", round(window.clientErrorPercent(window.attempts())))
                .put("p50-ms", millis(window.p50Nanos()))
                .put("p99-ms", millis(window.p99Nanos()));
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private static double millis(long nanos) {
        return nanos < 0 ? -1 : round(nanos / 1e6);
    }

    /**
     * Each upstream of the route, the primary first: where it is, its provider, the names (never the values) of
     * its headers, its model rewrites, and its own breaker and gate.
     */
    private static JsonArray upstreams(Route route) {
        JsonArray upstreams = new JsonArray();
        for (UpstreamGuard upstream : route.guard().upstreams()) {
            UpstreamTarget target = upstream.target();
            upstreams.add(new JsonObject()
                    .put("name", target.name())
                    .put("upstream", target.upstream().uri().toString())
                    .put("provider", target.provider().yamlName())
                    .put(
                            "headers",
                            new JsonArray(new java.util.ArrayList<>(
                                    new TreeSet<>(target.headers().keySet()))))
                    .put("models", new JsonObject(new java.util.TreeMap<String, Object>(target.models())))
                    .put(
                            "circuit-breaker",
                            breaker(
                                    route.spec().circuitBreaker(),
                                    upstream.breaker().orElse(null)))
                    .put(
                            "rate-limit-gate",
                            new JsonObject()
                                    .put("enabled", upstream.gate().isPresent())
                                    .put(
                                            "held",
                                            upstream.gate()
                                                    .map(RateLimitGate::held)
                                                    .orElse(0)))
                    .put(
                            "recent",
                            recentAttempts(route.metrics()
                                    .upstreamTraffic(target.name())
                                    .snapshot()))
                    .put("model-breakers", modelBreakers(upstream))
                    .put("remaining-capacity", upstream.remainingCapacity()));
        }
        return upstreams;
    }

    /** The state of each model's breaker of an upstream, by model (empty for a generic provider). */
    private static JsonObject modelBreakers(UpstreamGuard upstream) {
        JsonObject states = new JsonObject();
        upstream.breakers()
                .ifPresent(set -> new java.util.TreeMap<>(set.byModel())
                        .forEach((model, breaker) -> states.put(
                                model, breaker.circuitBreaker().getState().name())));
        return states;
    }

    private static JsonObject timeouts(TimeoutSpec t) {
        return new JsonObject()
                .put("connect", Durations.format(t.connect()))
                .put("response", Durations.format(t.response()))
                .put("idle", Durations.format(t.idle()))
                .put("total", Durations.format(t.total()));
    }

    private static JsonObject retry(RetrySpec r) {
        return new JsonObject()
                .put("max-attempts", r.maxAttempts())
                .put("wait-duration", Durations.format(r.waitDuration()))
                .put("exponential-backoff-multiplier", r.backoffMultiplier())
                .put("exponential-max-wait-duration", Durations.format(r.maxWaitDuration()))
                .put("randomized-wait-factor", r.randomizedWaitFactor())
                .put("retry-on-status", new JsonArray(new java.util.ArrayList<>(new TreeSet<>(r.retryOnStatus()))))
                .put("retry-methods", new JsonArray(new java.util.ArrayList<>(new TreeSet<>(r.retryMethods()))))
                .put("max-retry-after", Durations.format(r.maxRetryAfter()))
                .put("max-replay-body", Sizes.format(r.maxReplayBody()))
                .put("send-x-should-retry", r.sendXShouldRetry())
                .put("rate-limit-gate", r.rateLimitGate());
    }

    private static JsonObject breaker(CircuitBreakerSpec c, RouteBreaker breaker) {
        JsonObject json = new JsonObject()
                .put("enabled", c.enabled())
                .put("failure-rate-threshold", c.failureRateThreshold())
                .put("sliding-window-type", c.slidingWindowType().name())
                .put("sliding-window-size", c.slidingWindowSize())
                .put("minimum-number-of-calls", c.minimumNumberOfCalls())
                .put("wait-duration-in-open-state", Durations.format(c.waitDurationInOpenState()))
                .put("permitted-number-of-calls-in-half-open-state", c.permittedNumberOfCallsInHalfOpenState())
                .put("slow-call-rate-threshold", c.slowCallRateThreshold())
                .put("slow-call-duration-threshold", Durations.format(c.slowCallDurationThreshold()))
                .put("record-status", new JsonArray(new java.util.ArrayList<>(new TreeSet<>(c.recordStatus()))));
        if (breaker == null) {
            return json.put("state", "DISABLED");
        }
        CircuitBreaker.Metrics metrics = breaker.circuitBreaker().getMetrics();
        return json.put("state", breaker.circuitBreaker().getState().name())
                .put("failure-rate", metrics.getFailureRate())
                .put("slow-call-rate", metrics.getSlowCallRate())
                .put("buffered-calls", metrics.getNumberOfBufferedCalls())
                .put("failed-calls", metrics.getNumberOfFailedCalls())
                .put("not-permitted-calls", metrics.getNumberOfNotPermittedCalls())
                .put("next", next(c, breaker));
    }

    /**
     * When the breaker's state changes next, as far as it can be known: an open breaker's {@code half-open-in-ms}
     * (0: the next attempt finds it half-open); a half-open one's {@code probes-left} before it closes or opens
     * again; a closed one opens once {@code minimum-number-of-calls} are in its window and the failure or slow-call
     * rate reaches its threshold (those fields are above); a forced-open one waits for an operator.
     */
    private static JsonObject next(CircuitBreakerSpec c, RouteBreaker breaker) {
        CircuitBreaker.State state = breaker.circuitBreaker().getState();
        JsonObject next = new JsonObject();
        switch (state) {
            case OPEN -> next.put("half-open-in-ms", breaker.millisUntilHalfOpen());
            case HALF_OPEN ->
                next.put(
                        "probes-left",
                        Math.max(
                                0,
                                c.permittedNumberOfCallsInHalfOpenState()
                                        - breaker.circuitBreaker().getMetrics().getNumberOfBufferedCalls()));
            case CLOSED ->
                next.put(
                        "calls-until-rated",
                        Math.max(
                                0,
                                c.minimumNumberOfCalls()
                                        - breaker.circuitBreaker().getMetrics().getNumberOfBufferedCalls()));
            case FORCED_OPEN -> next.put("operator", true);
            default -> {}
        }
        return next;
    }
}
