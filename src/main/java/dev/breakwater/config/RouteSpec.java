package dev.breakwater.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One validated route: which requests it takes, where it sends them and under which policies.
 *
 * @param name unique route name, used in logs, metrics and error paths
 * @param pathPrefix requests whose path starts with this go to the route; the longest prefix wins
 * @param upstream the upstream address
 * @param stripPrefix true removes {@code pathPrefix} from the forwarded path
 * @param provider the API kind, for provider-aware failure classification
 * @param headers headers set (replacing the client's) on every upstream request
 * @param caFile a PEM file of CA certificates trusted for an {@code https} upstream, instead of the JDK's
 * @param timeouts the route's timeouts
 * @param retry the route's retry policy
 * @param retryBudget the route's limit on retries in flight
 * @param circuitBreaker the route's circuit breaker settings (each upstream has its own breaker with them)
 * @param fallbacks the upstreams tried, in order, when the primary cannot answer; empty for none
 * @param fallbackOn the attempt outcomes that send the next attempt to the next upstream at once
 * @param strategy how an attempt's upstream is picked among those that can take it now
 * @param rateLimit pacing by the upstream's reported budget, and the queue of held requests
 * @param stream when a streamed response is committed, and its timeouts
 * @param idempotency how requests with an {@code Idempotency-Key} are recorded against duplicates
 */
public record RouteSpec(
        String name,
        String pathPrefix,
        UpstreamSpec upstream,
        boolean stripPrefix,
        Provider provider,
        Map<String, String> headers,
        Optional<Path> caFile,
        TimeoutSpec timeouts,
        RetrySpec retry,
        RetryBudgetSpec retryBudget,
        CircuitBreakerSpec circuitBreaker,
        List<UpstreamTarget> fallbacks,
        Set<FallbackClass> fallbackOn,
        Strategy strategy,
        RateLimitSpec rateLimit,
        StreamSpec stream,
        IdempotencySpec idempotency) {
    public RouteSpec {
        Objects.requireNonNull(name, "name");
        headers = Map.copyOf(headers);
        fallbacks = List.copyOf(fallbacks);
        fallbackOn = Set.copyOf(fallbackOn);
    }

    /** Every upstream of the route, the primary (named after the route, without model rewrites) first. */
    public List<UpstreamTarget> targets() {
        List<UpstreamTarget> all = new ArrayList<>(1 + fallbacks.size());
        all.add(new UpstreamTarget(name, upstream, provider, headers, caFile, Map.of()));
        all.addAll(fallbacks);
        return all;
    }
}
