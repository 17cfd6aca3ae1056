package dev.breakwater.config;

import java.time.Duration;
import java.util.Optional;

/**
 * A route's {@code idempotency} section: requests with an {@code Idempotency-Key} are recorded so a duplicate never
 * reaches the upstream twice.
 *
 * @param enabled empty: on when the route's {@code retry-methods} exclude POST (its tool calls are not safe to
 *     repeat), off otherwise
 * @param ttl how long a finished request's response is kept for duplicates (default 24h)
 * @param maxStoredBody the largest response body kept; a duplicate of a request with a larger response gets 409
 *     (default 1MiB)
 * @param maxKeys the most keys kept for the route; one more gives up the oldest (default 100000)
 * @param maxMemory about the most memory the route's keys and stored responses take; more gives up the oldest
 *     (default 64MiB: about 100,000 keys with small responses)
 * @param waitForFirst true makes a duplicate of a request still in flight wait for it and get its response;
 *     false answers it 409 with {@code Retry-After} at once (default false)
 */
public record IdempotencySpec(
        Optional<Boolean> enabled,
        Duration ttl,
        long maxStoredBody,
        int maxKeys,
        long maxMemory,
        boolean waitForFirst) {
    /** The built-in defaults. */
    public static final IdempotencySpec DEFAULT =
            new IdempotencySpec(Optional.empty(), Duration.ofHours(24), 1024 * 1024, 100_000, 64L * 1024 * 1024, false);

    /** Whether requests with an {@code Idempotency-Key} are recorded on a route that retries {@code retry}. */
    public boolean enabledFor(RetrySpec retry) {
        return enabled.orElse(!retry.retryMethods().contains("POST"));
    }
}
