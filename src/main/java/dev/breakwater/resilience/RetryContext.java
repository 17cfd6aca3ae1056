package dev.breakwater.resilience;

import io.github.resilience4j.retry.Retry;

/**
 * The retry state of one request. It turns each attempt's outcome into a {@link RetryDecision}, keeping
 * Resilience4j's "-1 means stop" contract in this one class.
 *
 * <p>Confined to the request's event loop; not thread-safe.
 */
public final class RetryContext {
    private final Retry.AsyncContext<RetryCandidate> r4j;
    private final RequestFacts request;
    private final RetryPolicy policy;
    private final long deadlineNanos;
    private int attempts;

    RetryContext(Retry.AsyncContext<RetryCandidate> r4j, RequestFacts request, RetryPolicy policy,
            long deadlineNanos) {
        this.r4j = r4j;
        this.request = request;
        this.policy = policy;
        this.deadlineNanos = deadlineNanos;
    }

    /** Decides after an attempt that returned response headers with {@code status}. */
    public RetryDecision onResponse(int status) {
        attempts++;
        RetryVerdict verdict = policy.classifier().onStatus(request, status);
        Candidate candidate = new Candidate(verdict, plan(verdict));
        long delay = r4j.onResult(candidate);
        return decide(verdict, candidate, delay);
    }

    /** Decides after an attempt that failed before response headers. */
    public RetryDecision onFailure(FailureKind kind) {
        attempts++;
        RetryVerdict verdict = policy.classifier().onFailure(request, kind);
        FailedCandidate candidate = new FailedCandidate(verdict, plan(verdict));
        long delay = r4j.onError(candidate);
        return decide(verdict, candidate, delay);
    }

    /** Records that the request ended with a response passed to the client (no more attempts). */
    public void onCommitted() {
        r4j.onComplete();
    }

    /** Attempts decided so far. */
    public int attempts() {
        return attempts;
    }

    private long plan(RetryVerdict verdict) {
        if (!verdict.retryable()) {
            return -1;
        }
        long delay = policy.backoff().delayMillis(attempts);
        long now = policy.ticker().nanoTime();
        if (deadlineNanos != Long.MAX_VALUE && now + delay * 1_000_000L >= deadlineNanos) {
            return -1;
        }
        return delay;
    }

    private RetryDecision decide(RetryVerdict verdict, RetryCandidate candidate, long delay) {
        if (delay >= 0) {
            return new RetryDecision(true, delay, verdict.reason(), attempts);
        }
        String reason;
        if (!verdict.retryable()) {
            reason = verdict.reason();
        } else if (candidate.plannedDelayMillis() < 0) {
            reason = "deadline";
        } else {
            reason = "attempts_exhausted";
        }
        return new RetryDecision(false, -1, reason, attempts);
    }

    private record Candidate(RetryVerdict verdict, long plannedDelayMillis) implements RetryCandidate {
        @Override
        public boolean retryable() {
            return verdict.retryable();
        }
    }

    /** Resilience4j's exception channel needs a Throwable; this one carries no stack trace. */
    private static final class FailedCandidate extends Exception implements RetryCandidate {
        private final transient RetryVerdict verdict;
        private final long plannedDelayMillis;

        FailedCandidate(RetryVerdict verdict, long plannedDelayMillis) {
            super(verdict.reason(), null, false, false);
            this.verdict = verdict;
            this.plannedDelayMillis = plannedDelayMillis;
        }

        @Override
        public boolean retryable() {
            return verdict.retryable();
        }

        @Override
        public long plannedDelayMillis() {
            return plannedDelayMillis;
        }
    }
}
