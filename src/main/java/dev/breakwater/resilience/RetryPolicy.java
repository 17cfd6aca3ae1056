package dev.breakwater.resilience;

import dev.breakwater.config.RetrySpec;
import dev.breakwater.time.Ticker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A route's retry policy at run time: a Resilience4j {@link Retry} (attempt counting, events, metrics) fed by
 * Breakwater's own classification, backoff, server hints and deadline arithmetic.
 *
 * <p>One instance per route, shared by all event loops; per-request state lives in {@link RetryContext}.
 */
public final class RetryPolicy {
    private final Retry retry;
    private final RetryClassifier classifier;
    private final Backoff backoff;
    private final ServerHints hints;
    private final long maxRetryAfterMillis;
    private final Ticker ticker;

    /**
     * @param hints the server-hint reader (with its wall clock for HTTP-dates)
     * @param random the jitter source of the backoff
     * @param ticker the monotonic clock deadlines are measured on
     * @param registry where the Resilience4j Retry is registered (replacing one of the same name), so its metrics
     *     are exported
     */
    public RetryPolicy(
            String routeName,
            RetrySpec spec,
            ServerHints hints,
            RandomGenerator random,
            Ticker ticker,
            RetryRegistry registry) {
        this.classifier = new RetryClassifier(spec);
        this.backoff = Backoff.of(spec, random);
        this.hints = hints;
        this.maxRetryAfterMillis = spec.maxRetryAfter().toMillis();
        this.ticker = ticker;
        RetryConfig config = RetryConfig.<RetryContext.Candidate>custom()
                .maxAttempts(spec.maxAttempts())
                .retryOnResult(RetryContext.Candidate::retryable)
                .retryOnException(t -> t instanceof RetryContext.Candidate c && c.retryable())
                .intervalBiFunction((attempt, outcome) -> outcome.isLeft()
                        ? ((RetryContext.Candidate) outcome.getLeft()).plannedDelayMillis()
                        : outcome.get().plannedDelayMillis())
                .failAfterMaxAttempts(false)
                .writableStackTraceEnabled(false)
                .build();
        registry.remove(routeName);
        this.retry = registry.retry(routeName, config, Map.of("route", routeName));
    }

    /** The Resilience4j instance, for metrics and events. */
    public Retry retry() {
        return retry;
    }

    /** The route's classifier. */
    public RetryClassifier classifier() {
        return classifier;
    }

    /**
     * Starts the retry state of one request.
     *
     * @param deadlineNanos the {@link Ticker} time after which no retry may be scheduled, or
     *     {@link Long#MAX_VALUE} for none
     */
    public RetryContext newContext(RequestFacts request, long deadlineNanos) {
        return new RetryContext(retry.<RetryContext.Candidate>asyncContext(), request, this, deadlineNanos);
    }

    Backoff backoff() {
        return backoff;
    }

    ServerHints hints() {
        return hints;
    }

    long maxRetryAfterMillis() {
        return maxRetryAfterMillis;
    }

    Ticker ticker() {
        return ticker;
    }
}
