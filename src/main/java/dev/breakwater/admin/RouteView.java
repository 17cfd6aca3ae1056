package dev.breakwater.admin;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.Durations;
import dev.breakwater.config.FallbackClass;
import dev.breakwater.config.RetrySpec;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.config.Sizes;
import dev.breakwater.config.TimeoutSpec;
import dev.breakwater.config.UpstreamTarget;
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
                .put("retries-total", route.metrics().retriesTotal());
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
                .put("not-permitted-calls", metrics.getNumberOfNotPermittedCalls());
    }
}
