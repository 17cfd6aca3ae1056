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

    /** The rate-limit gate of the request's key stays closed longer than the request may wait. */
    record RateLimited(long retryAfterSeconds) implements Refusal {}
}
