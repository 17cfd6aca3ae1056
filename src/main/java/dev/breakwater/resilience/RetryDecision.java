package dev.breakwater.resilience;

/**
 * What to do after one attempt: wait {@code delayMillis} and try again, or stop and answer the client.
 *
 * @param retry true to schedule another attempt
 * @param delayMillis the wait before it (meaningful only when {@code retry})
 * @param reason a snake_case word for logs: why the attempt is retried or why retrying stops
 *     ({@code attempts_exhausted}, {@code deadline}, {@code status_not_retryable}, ...)
 * @param attempt the number of the attempt just finished, 1-based
 */
public record RetryDecision(boolean retry, long delayMillis, String reason, int attempt) {
}
