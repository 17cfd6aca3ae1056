package dev.breakwater.routing;

import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.Provider;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.resilience.RetryBudget;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.resilience.RetryClassifier;
import dev.breakwater.resilience.RetryPolicy;
import dev.breakwater.resilience.ServerHints;
import dev.breakwater.time.Ticker;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** Turns validated route specs into live routes with their policy objects. */
public final class RouteFactory {
    private final RandomGenerator random;
    private final Ticker ticker;
    private final ServerHints hints;
    private final Clock clock;

    /**
     * @param random the jitter source shared by every route's backoff
     * @param ticker the monotonic clock for deadlines
     * @param clock the wall clock, for HTTP-date {@code Retry-After} values
     */
    public RouteFactory(RandomGenerator random, Ticker ticker, Clock clock) {
        this.random = random;
        this.ticker = ticker;
        this.hints = new ServerHints(clock);
        this.clock = clock;
    }

    /** The route table for a whole configuration. */
    public RouteTable table(BreakwaterConfig config) {
        List<Route> routes = config.routes().stream().map(this::route).toList();
        return new RouteTable(routes);
    }

    private Route route(RouteSpec spec) {
        boolean openai = spec.provider() == Provider.OPENAI;
        RetryPolicy retry = new RetryPolicy(spec.name(), spec.retry(), new RetryClassifier(spec.retry(),
                spec.provider()), hints, openai, random, ticker);
        Optional<RateLimitGate> gate = spec.retry().rateLimitGate()
                ? Optional.of(new RateLimitGate(ticker)) : Optional.empty();
        Optional<RouteBreaker> breaker = spec.circuitBreaker().enabled()
                ? Optional.of(new RouteBreaker(spec.name(), spec.circuitBreaker(), clock)) : Optional.empty();
        return new Route(spec, retry, gate, breaker, new RetryBudget(spec.retryBudget()));
    }
}
