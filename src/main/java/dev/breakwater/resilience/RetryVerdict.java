package dev.breakwater.resilience;

/**
 * Whether one attempt's outcome may be retried, and why, before attempt limits and deadlines are applied.
 *
 * @param retryable true when another attempt could help and is allowed
 * @param reason a snake_case word for logs: why it is or is not retryable
 */
public record RetryVerdict(boolean retryable, String reason) {
    /** Retry: the outcome is transient and the request may be repeated. */
    public static RetryVerdict retry(String reason) {
        return new RetryVerdict(true, reason);
    }

    /** Do not retry. */
    public static RetryVerdict stop(String reason) {
        return new RetryVerdict(false, reason);
    }
}
