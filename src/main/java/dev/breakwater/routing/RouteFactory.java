package dev.breakwater.routing;

import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.observability.Metrics;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RetryBudget;
import dev.breakwater.resilience.RetryPolicy;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.resilience.RouteGuard;
import dev.breakwater.resilience.ServerHints;
import dev.breakwater.time.Ticker;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Turns validated route specs into live routes with their policy objects, and on a reload reuses what did not
 * change: an unchanged route is kept whole (its breaker, gate and budget keep their state), and a changed route
 * keeps its breaker when its {@code circuit-breaker} section is the same.
 */
public final class RouteFactory {
    private final RandomGenerator random;
    private final Ticker ticker;
    private final ServerHints hints;
    private final Clock clock;
    private final Metrics metrics;

    /**
     * @param random the jitter source shared by every route's backoff
     * @param ticker the monotonic clock for deadlines
     * @param clock the wall clock, for HTTP-date {@code Retry-After} values and the breakers
     * @param metrics where routes register their meters and Resilience4j instances
     */
    public RouteFactory(RandomGenerator random, Ticker ticker, Clock clock, Metrics metrics) {
        this.random = random;
        this.ticker = ticker;
        this.hints = new ServerHints(clock);
        this.clock = clock;
        this.metrics = metrics;
    }

    /** The route table for a whole configuration. */
    public RouteTable table(BreakwaterConfig config) {
        return table(config, Optional.empty());
    }

    /** The route table for {@code config}, reusing the unchanged parts of {@code previous}. */
    public RouteTable table(BreakwaterConfig config, Optional<RouteTable> previous) {
        List<Route> routes = config.routes().stream()
                .map(spec -> route(spec, previous.flatMap(table -> table.named(spec.name()))))
                .toList();
        previous.ifPresent(old -> retire(old, routes));
        return new RouteTable(routes);
    }

    /** The live route for {@code spec}, reusing what it can of {@code previous}. */
    Route route(RouteSpec spec, Optional<Route> previous) {
        if (previous.isPresent() && previous.get().spec().equals(spec)) {
            return previous.get();
        }
        RetryPolicy retry = new RetryPolicy(
                spec.name(), spec.retry(), ProviderRules.of(spec.provider()), hints, random, ticker, metrics.retries());
        Optional<RateLimitGate> gate =
                spec.retry().rateLimitGate() ? Optional.of(new RateLimitGate(ticker)) : Optional.empty();
        Optional<RouteBreaker> breaker = previous.filter(
                        old -> breakerSpec(old.spec()).equals(breakerSpec(spec)))
                .flatMap(old -> old.guard().breaker());
        if (breaker.isEmpty() && spec.circuitBreaker().enabled()) {
            breaker = Optional.of(new RouteBreaker(spec.name(), breakerSpec(spec), clock, metrics.breakers()));
        }
        if (!spec.circuitBreaker().enabled()) {
            metrics.breakers().remove(spec.name());
        }
        RetryBudget budget = new RetryBudget(spec.retryBudget());
        RouteGuard guard = new RouteGuard(
                spec.upstream().host() + ":" + spec.upstream().port(),
                retry,
                breaker,
                budget,
                gate,
                ProviderRules.of(spec.provider()),
                spec.retry().maxRetryAfter().toMillis(),
                ticker);
        RouteMetrics routeMetrics = metrics.route(spec.name());
        routeMetrics.bind(() -> gate.map(RateLimitGate::held).orElse(0), budget::refusedRetries);
        return new Route(spec, guard, routeMetrics);
    }

    /** The route's breaker settings as its provider reads them (Anthropic's 529 is a failure too). */
    private static CircuitBreakerSpec breakerSpec(RouteSpec spec) {
        return ProviderRules.of(spec.provider()).breakerSpec(spec.circuitBreaker());
    }

    /** Unregisters the Resilience4j instances of routes that no longer exist. */
    private void retire(RouteTable old, List<Route> current) {
        Set<String> names = new HashSet<>();
        current.forEach(route -> names.add(route.name()));
        for (Route route : old.routes()) {
            if (!names.contains(route.name())) {
                metrics.breakers().remove(route.name());
                metrics.retries().remove(route.name());
            }
        }
    }
}
