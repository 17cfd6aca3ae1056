package dev.breakwater.resilience;

import io.github.resilience4j.retry.Retry;
import java.util.Optional;

/**
 * The retry state of one request. It turns each attempt's outcome into a {@link RetryDecision}, keeping
 * Resilience4j's "-1 means stop" contract in this one class.
 *
 * <p>The wait after a retryable response is {@code max(backoff, server hint)}. A hint above
 * {@code max-retry-after}, or a wait that would end after the request's deadline, stops retrying at once: the
 * client gets the upstream's answer now instead of a wait that cannot succeed.
 *
 * <p>Confined to the request's event loop; not thread-safe.
 */
public final class RetryContext {
    private final Retry.AsyncContext<Candidate> r4j;
    private final RequestFacts request;
    private final RetryPolicy policy;
    private final long deadlineNanos;
    private int attempts;

    RetryContext(Retry.AsyncContext<Candidate> r4j, RequestFacts request, RetryPolicy policy, long deadlineNanos) {
        this.r4j = r4j;
        this.request = request;
        this.policy = policy;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Decides after an attempt that returned {@code head}.
     *
     * @param provider the rules of the upstream that answered
     * @param toAnotherUpstream true when another upstream can take the next attempt at once: a retry then waits
     *     for nothing (no backoff, no hint of the upstream that answered)
     */
    public RetryDecision onResponse(ResponseHead head, ProviderRules provider, boolean toAnotherUpstream) {
        attempts++;
        Optional<StopReason> refusal = policy.classifier().onResponse(request, head, provider);
        // Hints only concern error responses: a successful one reads no extra headers on the request path.
        ServerHint hint =
                head.status() >= 400 ? provider.hint(policy.hints(), head).orElse(null) : null;
        return decide(refusal, hint, false, statusCause(head.status()), toAnotherUpstream);
    }

    /**
     * Decides after an attempt that failed before response headers.
     *
     * @param toAnotherUpstream as for {@link #onResponse}
     */
    public RetryDecision onFailure(FailureKind kind, boolean toAnotherUpstream) {
        attempts++;
        return decide(policy.classifier().onFailure(request, kind), null, true, kind.label(), toAnotherUpstream);
    }

    /** Records that the request ended with a response passed to the client (no more attempts). */
    public void onCommitted() {
        r4j.onComplete();
    }

    /** Attempts decided so far. */
    public int attempts() {
        return attempts;
    }

    private RetryDecision decide(
            Optional<StopReason> refusal, ServerHint hint, boolean failed, String cause, boolean toAnotherUpstream) {
        long hintMillis = hint == null ? -1 : hint.millis();
        WaitSource source = WaitSource.BACKOFF;
        StopReason stop = refusal.orElse(null);
        long planned = -1;
        if (stop == null && toAnotherUpstream) {
            planned = 0;
            source = WaitSource.FALLBACK;
        } else if (stop == null && hint != null && hint.millis() > policy.maxRetryAfterMillis()) {
            stop = StopReason.RETRY_AFTER_TOO_LONG;
            source = hint.source();
        } else if (stop == null) {
            planned = policy.backoff().delayMillis(attempts);
            if (hint != null && hint.millis() > planned) {
                planned = hint.millis();
                source = hint.source();
            }
            long now = policy.ticker().nanoTime();
            if (deadlineNanos != Long.MAX_VALUE && now + planned * 1_000_000L >= deadlineNanos) {
                stop = StopReason.DEADLINE;
                planned = -1;
            }
        }
        boolean retryable = refusal.isEmpty();
        long delay = failed
                ? r4j.onError(new FailedCandidate(retryable, planned))
                : r4j.onResult(new ResultCandidate(retryable, planned));
        if (delay >= 0) {
            return new RetryDecision.Retry(attempts, delay, source, hintMillis, cause);
        }
        return new RetryDecision.Stop(
                attempts, stop != null ? stop : StopReason.ATTEMPTS_EXHAUSTED, source, hintMillis);
    }

    private static String statusCause(int status) {
        return "status_" + status;
    }

    /**
     * An attempt outcome as Resilience4j sees it: whether it is retryable, and the wait Breakwater planned for it
     * (negative to stop, for example when the wait would pass the deadline).
     */
    interface Candidate {
        boolean retryable();

        long plannedDelayMillis();
    }

    private record ResultCandidate(boolean retryable, long plannedDelayMillis) implements Candidate {}

    /** Resilience4j's exception channel needs a Throwable; this one carries no stack trace. */
    private static final class FailedCandidate extends Exception implements Candidate {
        private final boolean retryable;
        private final long plannedDelayMillis;

        FailedCandidate(boolean retryable, long plannedDelayMillis) {
            super(null, null, false, false);
            this.retryable = retryable;
            this.plannedDelayMillis = plannedDelayMillis;
        }

        @Override
        public boolean retryable() {
            return retryable;
        }

        @Override
        public long plannedDelayMillis() {
            return plannedDelayMillis;
        }
    }
}
