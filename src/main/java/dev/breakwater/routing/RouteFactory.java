package dev.breakwater.routing;

import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.IdempotencySpec;
import dev.breakwater.config.Provider;
import dev.breakwater.config.RateLimitSpec;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.config.UpstreamTarget;
import dev.breakwater.observability.Metrics;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.BreakerSet;
import dev.breakwater.resilience.FleetLink;
import dev.breakwater.resilience.GatePolicy;
import dev.breakwater.resilience.IdempotencyStore;
import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RetryBudget;
import dev.breakwater.resilience.RetryPolicy;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.resilience.RouteGuard;
import dev.breakwater.resilience.ServerHints;
import dev.breakwater.resilience.UpstreamGuard;
import dev.breakwater.time.Ticker;
import java.time.Clock;
import java.util.ArrayList;
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
    private final FleetLink fleet;

    /**
     * @param random the jitter source shared by every route's backoff
     * @param ticker the monotonic clock for deadlines
     * @param clock the wall clock, for HTTP-date {@code Retry-After} values and the breakers
     * @param metrics where routes register their meters and Resilience4j instances
     * @param fleet what the rate-limit gates share with other instances ({@link FleetLink#LOCAL}: nothing)
     */
    public RouteFactory(RandomGenerator random, Ticker ticker, Clock clock, Metrics metrics, FleetLink fleet) {
        this.fleet = fleet;
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
        RetryPolicy retry = new RetryPolicy(spec.name(), spec.retry(), hints, random, ticker, metrics.retries());
        List<UpstreamTarget> targets = spec.targets();
        List<UpstreamGuard> upstreams = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            UpstreamTarget target = targets.get(i);
            Optional<RateLimitGate> gate = gate(spec, target);
            upstreams.add(new UpstreamGuard(
                    i, target, ProviderRules.of(target.provider()), breakers(spec, target, previous), gate));
        }
        previous.ifPresent(old -> unregisterReplaced(old, upstreams));
        RetryBudget budget = new RetryBudget(spec.retryBudget());
        RouteGuard guard = new RouteGuard(
                upstreams,
                retry,
                budget,
                spec.fallbackOn(),
                spec.strategy(),
                spec.retry().maxRetryAfter().toMillis(),
                ticker,
                idempotency(spec, previous));
        RouteMetrics routeMetrics = metrics.route(spec.name());
        routeMetrics.bind(guard::held, budget::refusedRetries);
        routeMetrics.bindIdempotency(
                () -> guard.idempotency().map(IdempotencyStore::size).orElse(0));
        routeMetrics.bindQueues(() -> upstreams.stream()
                .flatMap(u -> u.gate().stream()
                        .flatMap(gate -> gate.heldByKey().entrySet().stream()
                                .map(e -> new RouteMetrics.QueuedKey(u.name(), e.getKey(), e.getValue()))))
                .toList());
        return new Route(spec, guard, routeMetrics);
    }

    /**
     * The route's store of requests by {@code Idempotency-Key}, when it keeps one: the one it had before a reload
     * when its bound is unchanged (so a reload forgets no key), else a new one.
     */
    private Optional<IdempotencyStore> idempotency(RouteSpec spec, Optional<Route> previous) {
        if (!spec.idempotency().enabledFor(spec.retry())) {
            return Optional.empty();
        }
        IdempotencySpec wanted = spec.idempotency();
        Optional<IdempotencyStore> old = previous.filter(
                        route -> route.spec().idempotency().maxKeys() == wanted.maxKeys()
                                && route.spec().idempotency().maxMemory() == wanted.maxMemory())
                .flatMap(route -> route.guard().idempotency());
        return Optional.of(old.orElseGet(() ->
                new IdempotencyStore(wanted.maxKeys(), wanted.maxMemory(), clock::millis, fleet.idempotencyKeys())));
    }

    /** The rate-limit gate of one upstream: closing on 429s, pacing, or both; none when neither is on. */
    private Optional<RateLimitGate> gate(RouteSpec spec, UpstreamTarget target) {
        RateLimitSpec limits = spec.rateLimit();
        boolean pacing = limits.pacingFor(target.provider());
        if (!spec.retry().rateLimitGate() && !pacing) {
            return Optional.empty();
        }
        return Optional.of(new RateLimitGate(
                ticker,
                new GatePolicy(
                        spec.retry().rateLimitGate(),
                        pacing,
                        limits.headroomPercent() / 100,
                        limits.maxQueued(),
                        limits.defaultCompletionTokens(),
                        limits.priority(),
                        fleet)));
    }

    /**
     * The breakers of one upstream: the ones it had before a reload when the route's {@code circuit-breaker}
     * section and the upstream's provider are unchanged, else new ones. The primary's model-less breaker is
     * registered under the route's name, a fallback's under {@code ROUTE/FALLBACK}; a model's breaker under that
     * name and {@code [MODEL]}.
     */
    private Optional<BreakerSet> breakers(RouteSpec spec, UpstreamTarget target, Optional<Route> previous) {
        String name = breakerName(spec.name(), target);
        Optional<UpstreamGuard> old = previous.flatMap(route -> route.guard().upstreams().stream()
                .filter(u -> u.name().equals(target.name()))
                .findFirst());
        boolean same = previous.isPresent()
                && previous.get().spec().circuitBreaker().equals(spec.circuitBreaker())
                && old.isPresent()
                && old.get().target().provider() == target.provider()
                && old.get().target().upstream().equals(target.upstream())
                && old.get().target().caFile().equals(target.caFile());
        if (same && old.get().breakers().isPresent()) {
            return old.get().breakers();
        }
        if (!spec.circuitBreaker().enabled()) {
            metrics.breakers().remove(name);
            return Optional.empty();
        }
        // The provider may count more as failures (Anthropic's 529 overloaded_error) than record-status lists.
        CircuitBreakerSpec settings = ProviderRules.of(target.provider()).breakerSpec(spec.circuitBreaker());
        return Optional.of(new BreakerSet(
                new RouteBreaker(name, settings, clock, metrics.breakers()),
                target.provider() != Provider.GENERIC,
                model -> new RouteBreaker(name, model, settings, clock, metrics.breakers())));
    }

    /**
     * Unregisters the breakers of {@code old} that the new upstreams did not keep (a fallback removed, renamed or
     * moved, settings changed), model breakers included, so their metric series end. Names the new breakers use
     * stay registered.
     */
    private void unregisterReplaced(Route old, List<UpstreamGuard> upstreams) {
        Set<String> kept = new HashSet<>();
        Set<BreakerSet> keptSets = new HashSet<>();
        for (UpstreamGuard upstream : upstreams) {
            upstream.breakers().ifPresent(set -> {
                keptSets.add(set);
                set.all().forEach(b -> kept.add(b.route()));
            });
        }
        for (UpstreamGuard upstream : old.guard().upstreams()) {
            upstream.breakers()
                    .filter(set -> !keptSets.contains(set))
                    .ifPresent(set -> set.all().stream()
                            .map(RouteBreaker::route)
                            .filter(name -> !kept.contains(name))
                            .forEach(name -> metrics.breakers().remove(name)));
        }
    }

    private static String breakerName(String route, UpstreamTarget target) {
        return route.equals(target.name()) ? route : route + "/" + target.name();
    }

    /** Unregisters the Resilience4j instances of routes that no longer exist. */
    private void retire(RouteTable old, List<Route> current) {
        Set<String> names = new HashSet<>();
        current.forEach(route -> names.add(route.name()));
        for (Route route : old.routes()) {
            if (!names.contains(route.name())) {
                route.guard()
                        .upstreams()
                        .forEach(u -> u.breakers()
                                .ifPresent(set -> set.all()
                                        .forEach(b -> metrics.breakers().remove(b.route()))));
                metrics.retries().remove(route.name());
            }
        }
    }
}
