package dev.breakwater.resilience;

/** Why Breakwater answers a request itself without (another) upstream attempt, and when to come back. */
public sealed interface Refusal {
    /** Whole seconds after which the client may try again, for {@code Retry-After}. */
    long retryAfterSeconds();

    /**
     * The route's circuit breaker is open.
     *
     * @param byOperator true when an operator forced it open
     */
    record CircuitOpen(long retryAfterSeconds, boolean byOperator) implements Refusal {}

    /**
     * The request's rate-limit key cannot take it within the time it may wait, or its queue is full.
     *
     * @param queueFull true when {@code rate-limit.max-queued} requests already wait for the key
     */
    record RateLimited(long retryAfterSeconds, boolean queueFull) implements Refusal {}
}
