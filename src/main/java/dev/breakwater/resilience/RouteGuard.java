package dev.breakwater.resilience;

import dev.breakwater.config.FallbackClass;
import dev.breakwater.config.Strategy;
import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything that decides whether a route's attempts may go, and where: its upstreams (each with its own breaker,
 * gate and provider rules), its retry policy and retry budget, and how it falls back. {@code proxy} asks one
 * {@link RequestAdmission} per request instead of consulting these itself; a new admission step (pacing, a
 * fleet-wide budget) is added here.
 *
 * <p>One instance per route, shared by every event loop.
 */
public final class RouteGuard {
    private final List<UpstreamGuard> upstreams;
    private final RetryPolicy retryPolicy;
    private final RetryBudget budget;
    private final Set<FallbackClass> fallbackOn;
    private final Strategy strategy;
    private final long maxWaitMillis;
    private final Ticker ticker;
    private final Optional<IdempotencyStore> idempotency;
    private final AtomicInteger rotation = new AtomicInteger();

    /**
     * @param upstreams the primary first, then the fallbacks in order
     * @param fallbackOn the outcomes that send the next attempt to the next upstream at once
     * @param maxWaitMillis the longest a request may be held at a gate ({@code max-retry-after})
     * @param ticker the monotonic clock of deadlines and the gates
     * @param idempotency the requests recorded by {@code Idempotency-Key}, when the route keeps them
     */
    public RouteGuard(
            List<UpstreamGuard> upstreams,
            RetryPolicy retryPolicy,
            RetryBudget budget,
            Set<FallbackClass> fallbackOn,
            Strategy strategy,
            long maxWaitMillis,
            Ticker ticker,
            Optional<IdempotencyStore> idempotency) {
        this.upstreams = List.copyOf(upstreams);
        this.retryPolicy = retryPolicy;
        this.budget = budget;
        this.fallbackOn = Set.copyOf(fallbackOn);
        this.strategy = strategy;
        this.maxWaitMillis = maxWaitMillis;
        this.ticker = ticker;
        this.idempotency = idempotency;
    }

    /** The requests recorded by {@code Idempotency-Key}, when the route keeps them. */
    public Optional<IdempotencyStore> idempotency() {
        return idempotency;
    }

    /**
     * Starts admitting one request, as soon as it is matched to the route: from now until
     * {@link RequestAdmission#release()} it counts among the route's requests in flight (the retry budget's
     * base), even while its body is still being read. Attempts may be asked for once
     * {@link RequestAdmission#bodyRead} said what the request is.
     *
     * @param deadlineNanos the {@link Ticker} time the request must be answered by, or {@link Long#MAX_VALUE}
     * @param outgoing what its rate-limit keys are read from, when a gate needs one
     * @param timers the request's event loop timers (a gate's release timer runs there)
     * @param loop runs a held request's continuation on its own event loop
     */
    public RequestAdmission admit(long deadlineNanos, OutgoingRequest outgoing, Scheduler timers, Executor loop) {
        budget.requestStarted();
        return new RequestAdmission(this, deadlineNanos, outgoing, timers, loop);
    }

    /** The route's upstreams, the primary first. */
    public List<UpstreamGuard> upstreams() {
        return upstreams;
    }

    /** The primary's circuit breaker, when enabled. */
    public Optional<RouteBreaker> breaker() {
        return upstreams.get(0).breaker();
    }

    /** The primary's rate-limit gate, when enabled. */
    public Optional<RateLimitGate> gate() {
        return upstreams.get(0).gate();
    }

    /** The route's retry budget. */
    public RetryBudget budget() {
        return budget;
    }

    /** The route's retry policy. */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** Requests held at any of the route's gates. */
    public int held() {
        int held = 0;
        for (UpstreamGuard upstream : upstreams) {
            held += upstream.gate().map(RateLimitGate::held).orElse(0);
        }
        return held;
    }

    boolean fallsBackOn(FallbackClass outcome) {
        return upstreams.size() > 1 && fallbackOn.contains(outcome);
    }

    Strategy strategy() {
        return strategy;
    }

    /** The start of the next round-robin turn, for {@code spread} while no upstream reported its capacity. */
    int nextRotation() {
        return Math.floorMod(rotation.getAndIncrement(), upstreams.size());
    }

    long maxWaitMillis() {
        return maxWaitMillis;
    }

    Ticker ticker() {
        return ticker;
    }
}
