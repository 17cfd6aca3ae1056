package dev.breakwater.routing;

import dev.breakwater.config.RouteSpec;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RetryBudget;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.resilience.RetryPolicy;
import java.util.Optional;

/**
 * A route at run time: its validated spec and the live policy objects shared by every event loop.
 *
 * @param spec the route's configuration
 * @param retryPolicy the route's retry policy (one Resilience4j Retry per route)
 * @param rateLimitGate the route's gate for upstream 429s, empty when {@code rate-limit-gate} is off
 * @param breaker the route's circuit breaker, empty when {@code circuit-breaker.enabled} is false
 * @param retryBudget the route's limit on retries in flight
 * @param metrics the route's meters, empty when metrics are off (tests)
 */
public record Route(RouteSpec spec, RetryPolicy retryPolicy, Optional<RateLimitGate> rateLimitGate,
        Optional<RouteBreaker> breaker, RetryBudget retryBudget, Optional<RouteMetrics> metrics) {

    /** A route without a circuit breaker or metrics, with its spec's retry budget. */
    public Route(RouteSpec spec, RetryPolicy retryPolicy, Optional<RateLimitGate> rateLimitGate) {
        this(spec, retryPolicy, rateLimitGate, Optional.empty(), new RetryBudget(spec.retryBudget()),
                Optional.empty());
    }

    /** The route's name. */
    public String name() {
        return spec.name();
    }

    /**
     * The path to request upstream for a client request target: the upstream's base path joined with the client's
     * path (minus the route prefix when {@code strip-prefix} is set), the query kept as sent.
     *
     * @param rawPath the client's path, still percent-encoded
     * @param rawQuery the client's query without {@code ?}, or null
     */
    public String upstreamPath(String rawPath, String rawQuery) {
        String rest = rawPath;
        if (spec.stripPrefix()) {
            String prefix = spec.pathPrefix();
            rest = rawPath.length() >= prefix.length() ? rawPath.substring(prefix.length()) : "";
        }
        String base = spec.upstream().basePath();
        StringBuilder out = new StringBuilder(base.length() + rest.length() + 1
                + (rawQuery == null ? 0 : rawQuery.length() + 1));
        out.append(base);
        if (!rest.startsWith("/")) {
            out.append('/');
        }
        out.append(rest);
        if (rawQuery != null) {
            out.append('?').append(rawQuery);
        }
        return out.toString();
    }
}
