package dev.breakwater.resilience;

import dev.breakwater.config.RetryBudgetSpec;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A route's retry budget (Envoy's {@code retry_budget}; Resilience4j has none): retries in flight may not exceed
 * {@code percent} of the requests in flight, with a floor of {@code min-concurrency}. It keeps one slow upstream
 * from turning a traffic spike into a retry storm.
 *
 * <p>A retry is "in flight" from the moment it is scheduled until its attempt has an outcome. Shared by all
 * event loops; lock-free.
 */
public final class RetryBudget {
    private final double percent;
    private final int minConcurrency;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    public RetryBudget(RetryBudgetSpec spec) {
        this.percent = spec.percent();
        this.minConcurrency = spec.minConcurrency();
    }

    /** A request entered the route. */
    public void requestStarted() {
        requests.incrementAndGet();
    }

    /** A request left the route. */
    public void requestFinished() {
        requests.decrementAndGet();
    }

    /** Takes a place for one retry; false (and counted) when the budget is spent. */
    public boolean tryStartRetry() {
        while (true) {
            int current = retries.get();
            int allowed = Math.max(minConcurrency, (int) (requests.get() * percent / 100.0));
            if (current >= allowed) {
                refused.incrementAndGet();
                return false;
            }
            if (retries.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Gives back the place of a retry whose attempt has an outcome, or that was abandoned. */
    public void retryFinished() {
        retries.decrementAndGet();
    }

    /** Requests in flight. */
    public int requestsInFlight() {
        return requests.get();
    }

    /** Retries in flight. */
    public int retriesInFlight() {
        return retries.get();
    }

    /** Retries refused since start. */
    public long refusedRetries() {
        return refused.get();
    }
}
