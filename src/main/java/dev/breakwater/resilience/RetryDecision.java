package dev.breakwater.resilience;

/**
 * What to do after one attempt: wait {@code delayMillis} and try again, or stop and answer the client.
 *
 * @param retry true to schedule another attempt
 * @param delayMillis the wait before it (meaningful only when {@code retry})
 * @param reason a snake_case word for logs: why the attempt is retried or why retrying stops
 *     ({@code attempts_exhausted}, {@code deadline}, {@code retry_after_too_long}, {@code insufficient_quota}, ...)
 * @param attempt the number of the attempt just finished, 1-based
 * @param waitSource what set the wait: {@code backoff}, {@code retry-after}, {@code retry-after-ms} or
 *     {@code ratelimit-reset}
 * @param serverHintMillis the wait the upstream asked for, or -1 when it named none
 */
public record RetryDecision(boolean retry, long delayMillis, String reason, int attempt, String waitSource,
        long serverHintMillis) {

    /** This decision turned into "stop", for {@code reason} (a breaker or budget said no). */
    public RetryDecision stopped(String reason) {
        return new RetryDecision(false, -1, reason, attempt, waitSource, serverHintMillis);
    }

    /** True when the upstream named a time before which it should not be called again. */
    public boolean hasServerHint() {
        return serverHintMillis >= 0;
    }
}
