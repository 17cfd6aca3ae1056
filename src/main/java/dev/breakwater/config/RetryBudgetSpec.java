package dev.breakwater.config;

/**
 * A route's retry budget (Envoy's idea): retries in flight may not exceed {@code percent} of the requests in
 * flight, but {@code minConcurrency} retries are always allowed.
 *
 * @param percent retries in flight as a percentage of requests in flight (default 20)
 * @param minConcurrency retries in flight always allowed, however few requests there are (default 3)
 */
public record RetryBudgetSpec(double percent, int minConcurrency) {
    /** The defaults: 20 percent, at least 3. */
    public static final RetryBudgetSpec DEFAULT = new RetryBudgetSpec(20, 3);
}
