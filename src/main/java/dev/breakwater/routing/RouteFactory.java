package dev.breakwater.routing;

import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.resilience.RetryClassifier;
import dev.breakwater.resilience.RetryPolicy;
import dev.breakwater.time.Ticker;
import java.util.List;
import java.util.random.RandomGenerator;

/** Turns validated route specs into live routes with their policy objects. */
public final class RouteFactory {
    private final RandomGenerator random;
    private final Ticker ticker;

    /**
     * @param random the jitter source shared by every route's backoff
     * @param ticker the monotonic clock for deadlines
     */
    public RouteFactory(RandomGenerator random, Ticker ticker) {
        this.random = random;
        this.ticker = ticker;
    }

    /** The route table for a whole configuration. */
    public RouteTable table(BreakwaterConfig config) {
        List<Route> routes = config.routes().stream().map(this::route).toList();
        return new RouteTable(routes);
    }

    private Route route(RouteSpec spec) {
        RetryPolicy retry = new RetryPolicy(spec.name(), spec.retry(), new RetryClassifier(spec.retry()), random,
                ticker);
        return new Route(spec, retry);
    }
}
