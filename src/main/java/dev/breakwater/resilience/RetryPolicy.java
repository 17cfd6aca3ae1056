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
    private final boolean readRateLimitHeaders;
    private final long maxRetryAfterMillis;
    private final Ticker ticker;

    /**
     * @param hints the server-hint reader (with its wall clock for HTTP-dates)
     * @param readRateLimitHeaders true to also read OpenAI's {@code x-ratelimit-reset-*} headers
     */
    public RetryPolicy(String routeName, RetrySpec spec, RetryClassifier classifier, ServerHints hints,
            boolean readRateLimitHeaders, RandomGenerator random, Ticker ticker) {
        this(routeName, spec, classifier, hints, readRateLimitHeaders, random, ticker, null);
    }

    /**
     * A policy whose Resilience4j Retry is registered in {@code registry} (replacing one of the same name), so
     * its metrics are exported; null for a standalone Retry.
     */
    public RetryPolicy(String routeName, RetrySpec spec, RetryClassifier classifier, ServerHints hints,
            boolean readRateLimitHeaders, RandomGenerator random, Ticker ticker, RetryRegistry registry) {
        this.classifier = classifier;
        this.backoff = Backoff.of(spec, random);
        this.hints = hints;
        this.readRateLimitHeaders = readRateLimitHeaders;
        this.maxRetryAfterMillis = spec.maxRetryAfter().toMillis();
        this.ticker = ticker;
        RetryConfig config = RetryConfig.<RetryCandidate>custom()
                .maxAttempts(spec.maxAttempts())
                .retryOnResult(RetryCandidate::retryable)
                .retryOnException(t -> t instanceof RetryCandidate c && c.retryable())
                .intervalBiFunction((attempt, outcome) -> outcome.isLeft()
                        ? ((RetryCandidate) outcome.getLeft()).plannedDelayMillis()
                        : outcome.get().plannedDelayMillis())
                .failAfterMaxAttempts(false)
                .writableStackTraceEnabled(false)
                .build();
        if (registry == null) {
            this.retry = Retry.of(routeName, config, Map.of("route", routeName));
        } else {
            registry.remove(routeName);
            this.retry = registry.retry(routeName, config, Map.of("route", routeName));
        }
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
        return new RetryContext(retry.<RetryCandidate>asyncContext(), request, this, deadlineNanos);
    }

    Backoff backoff() {
        return backoff;
    }

    ServerHints hints() {
        return hints;
    }

    boolean readRateLimitHeaders() {
        return readRateLimitHeaders;
    }

    long maxRetryAfterMillis() {
        return maxRetryAfterMillis;
    }

    Ticker ticker() {
        return ticker;
    }
}
