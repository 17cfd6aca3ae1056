package dev.breakwater.config;

import java.time.Duration;
import java.util.Set;

/**
 * A route's retry policy, named after Resilience4j's retry properties.
 *
 * @param maxAttempts all attempts, the first included (default 3)
 * @param waitDuration the first backoff (default 500ms)
 * @param backoffMultiplier growth per retry (default 2.0)
 * @param maxWaitDuration the cap on one backoff (default 20s)
 * @param randomizedWaitFactor jitter: a backoff {@code d} becomes uniform in {@code [d(1-f), d(1+f)]} (default 0.5)
 * @param retryOnStatus upstream statuses that are retried (default 408, 429, 500, 502, 503, 504)
 * @param retryMethods methods that may be retried without an {@code Idempotency-Key}
 *     (default GET, HEAD, OPTIONS, PUT, DELETE)
 * @param maxRetryAfter the longest server-requested wait Breakwater honours (default 60s)
 * @param maxReplayBody bytes of request body buffered for replay; larger bodies are sent once (default 8MiB)
 * @param sendXShouldRetry true adds {@code x-should-retry: false} to every failed response Breakwater will not
 *     retry, so the client's SDK does not retry on top (default true)
 * @param rateLimitGate true holds requests after an upstream 429 until the time it named (default true)
 */
public record RetrySpec(
        int maxAttempts,
        Duration waitDuration,
        double backoffMultiplier,
        Duration maxWaitDuration,
        double randomizedWaitFactor,
        Set<Integer> retryOnStatus,
        Set<String> retryMethods,
        Duration maxRetryAfter,
        long maxReplayBody,
        boolean sendXShouldRetry,
        boolean rateLimitGate) {
    public RetrySpec {
        retryOnStatus = Set.copyOf(retryOnStatus);
        retryMethods = Set.copyOf(retryMethods);
    }
}
