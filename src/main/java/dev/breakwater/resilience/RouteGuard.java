package dev.breakwater.resilience;

import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Everything that decides whether a route's attempts may go: its retry policy, circuit breaker, retry budget,
 * rate-limit gate and provider rules. {@code proxy} asks one {@link RequestAdmission} per request instead of
 * consulting these itself; a new admission step (pacing, fallback, a fleet-wide budget) is added here.
 *
 * <p>One instance per route, shared by every event loop.
 */
public final class RouteGuard {
    private final String upstream;
    private final RetryPolicy retryPolicy;
    private final Optional<RouteBreaker> breaker;
    private final RetryBudget budget;
    private final Optional<RateLimitGate> gate;
    private final ProviderRules provider;
    private final long maxWaitMillis;
    private final Ticker ticker;

    /**
     * @param upstream the upstream's {@code host:port}, part of every rate-limit key
     * @param maxWaitMillis the longest a request may be held at the gate ({@code max-retry-after})
     * @param ticker the monotonic clock of deadlines and the gate
     */
    public RouteGuard(
            String upstream,
            RetryPolicy retryPolicy,
            Optional<RouteBreaker> breaker,
            RetryBudget budget,
            Optional<RateLimitGate> gate,
            ProviderRules provider,
            long maxWaitMillis,
            Ticker ticker) {
        this.upstream = upstream;
        this.retryPolicy = retryPolicy;
        this.breaker = breaker;
        this.budget = budget;
        this.gate = gate;
        this.provider = provider;
        this.maxWaitMillis = maxWaitMillis;
        this.ticker = ticker;
    }

    /**
     * Starts admitting one request, as soon as it is matched to the route: from now until
     * {@link RequestAdmission#release()} it counts among the route's requests in flight (the retry budget's
     * base), even while its body is still being read. Attempts may be asked for once
     * {@link RequestAdmission#bodyRead} said what the request is.
     *
     * @param deadlineNanos the {@link Ticker} time the request must be answered by, or {@link Long#MAX_VALUE}
     * @param outgoing what its rate-limit key is read from, when a gate needs one
     * @param timers the request's event loop timers (the gate's release timer runs there)
     * @param loop runs a held request's continuation on its own event loop
     */
    public RequestAdmission admit(long deadlineNanos, OutgoingRequest outgoing, Scheduler timers, Executor loop) {
        budget.requestStarted();
        return new RequestAdmission(this, deadlineNanos, outgoing, timers, loop);
    }

    /** The route's circuit breaker, when enabled. */
    public Optional<RouteBreaker> breaker() {
        return breaker;
    }

    /** The route's retry budget. */
    public RetryBudget budget() {
        return budget;
    }

    /** The route's rate-limit gate, when enabled. */
    public Optional<RateLimitGate> gate() {
        return gate;
    }

    /** The route's retry policy. */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** What the route's upstream API adds to the decisions. */
    public ProviderRules provider() {
        return provider;
    }

    String upstream() {
        return upstream;
    }

    long maxWaitMillis() {
        return maxWaitMillis;
    }

    Ticker ticker() {
        return ticker;
    }
}
