package dev.breakwater.resilience;

/** Why no further attempt is made: the outcome cannot be fixed by retrying, or a limit says no. */
public enum StopReason {
    /** The status is not in the route's {@code retry-on-status} (a success, or an error retrying cannot fix). */
    STATUS_NOT_RETRYABLE("status_not_retryable"),
    /** The upstream said {@code x-should-retry: false}. */
    UPSTREAM_SHOULD_RETRY_FALSE("upstream_should_retry_false"),
    /** The account is out of quota, credit or budget: a retry gets the same answer. */
    INSUFFICIENT_QUOTA("insufficient_quota"),
    /** The body was streamed through, not kept, so it cannot be sent again. */
    BODY_NOT_REPLAYABLE("body_not_replayable"),
    /** The method is not one the route repeats, and the request carries no {@code Idempotency-Key}. */
    METHOD_NOT_RETRYABLE("method_not_retryable"),
    /** The upstream asked for a longer wait than {@code max-retry-after}. */
    RETRY_AFTER_TOO_LONG("retry_after_too_long"),
    /** The wait would end after the request's total deadline. */
    DEADLINE("deadline"),
    /** {@code max-attempts} attempts were made. */
    ATTEMPTS_EXHAUSTED("attempts_exhausted"),
    /** The route's circuit breaker opened. */
    CIRCUIT_OPEN("circuit_open"),
    /** The route's retry budget has no free place. */
    RETRY_BUDGET_EXHAUSTED("retry_budget_exhausted");

    private final String label;

    StopReason(String label) {
        this.label = label;
    }

    /** The snake_case spelling used in logs, metrics and the status page. */
    public String label() {
        return label;
    }

    /**
     * True for the everyday stop that is not worth a log line: the upstream's answer simply is not one to retry
     * (a success, most often).
     */
    public boolean isRoutine() {
        return this == STATUS_NOT_RETRYABLE;
    }
}
