package dev.breakwater.resilience;

/** What set the wait before an attempt: Breakwater's own backoff, a header of the upstream, or the gate. */
public enum WaitSource {
    /** The route's exponential backoff with jitter. */
    BACKOFF("backoff"),
    /** The upstream's {@code Retry-After} (delta-seconds or an HTTP-date). */
    RETRY_AFTER("retry-after"),
    /** The upstream's {@code retry-after-ms}. */
    RETRY_AFTER_MS("retry-after-ms"),
    /** A rate-limit reset header whose remaining quota is zero (OpenAI's {@code x-ratelimit-reset-*}). */
    RATELIMIT_RESET("ratelimit-reset"),
    /** The route's rate-limit gate, closed by an earlier 429 of the same key. */
    GATE("gate"),
    /** No wait: the next attempt goes to another upstream of the route (a fallback) at once. */
    FALLBACK("fallback");

    private final String label;

    WaitSource(String label) {
        this.label = label;
    }

    /** The spelling used in logs, metrics and the status page. */
    public String label() {
        return label;
    }
}
