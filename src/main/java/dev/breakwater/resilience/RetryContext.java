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
        return onResponse(ResponseHead.ofStatus(status));
    }

    /** Decides after an attempt that returned {@code head}. */
    public RetryDecision onResponse(ResponseHead head) {
        attempts++;
        RetryVerdict verdict = policy.classifier().onResponse(request, head);
        // Hints only concern error responses: a successful one reads no extra headers on the request path.
        Optional<ServerHint> hint = head.status() >= 400
                ? policy.hints().read(head, policy.readRateLimitHeaders()) : Optional.empty();
        Plan plan = plan(verdict, hint);
        long delay = r4j.onResult(new Candidate(verdict, plan.delayMillis()));
        return decide(verdict, plan, delay, hint);
    }

    /** Decides after an attempt that failed before response headers. */
    public RetryDecision onFailure(FailureKind kind) {
        attempts++;
        RetryVerdict verdict = policy.classifier().onFailure(request, kind);
        Plan plan = plan(verdict, Optional.empty());
        long delay = r4j.onError(new FailedCandidate(verdict, plan.delayMillis()));
        return decide(verdict, plan, delay, Optional.empty());
    }

    /** Records that the request ended with a response passed to the client (no more attempts). */
    public void onCommitted() {
        r4j.onComplete();
    }

    /** Attempts decided so far. */
    public int attempts() {
        return attempts;
    }

    private Plan plan(RetryVerdict verdict, Optional<ServerHint> hint) {
        if (!verdict.retryable()) {
            return new Plan(-1, verdict.reason(), "backoff");
        }
        if (hint.isPresent() && hint.get().millis() > policy.maxRetryAfterMillis()) {
            return new Plan(-1, "retry_after_too_long", hint.get().source());
        }
        long backoff = policy.backoff().delayMillis(attempts);
        long delay = backoff;
        String source = "backoff";
        if (hint.isPresent() && hint.get().millis() > backoff) {
            delay = hint.get().millis();
            source = hint.get().source();
        }
        long now = policy.ticker().nanoTime();
        if (deadlineNanos != Long.MAX_VALUE && now + delay * 1_000_000L >= deadlineNanos) {
            return new Plan(-1, "deadline", source);
        }
        return new Plan(delay, verdict.reason(), source);
    }

    private RetryDecision decide(RetryVerdict verdict, Plan plan, long delay, Optional<ServerHint> hint) {
        long hintMillis = hint.map(ServerHint::millis).orElse(-1L);
        if (delay >= 0) {
            return new RetryDecision(true, delay, verdict.reason(), attempts, plan.source(), hintMillis);
        }
        String reason = !verdict.retryable() || plan.delayMillis() < 0 ? plan.reason() : "attempts_exhausted";
        return new RetryDecision(false, -1, reason, attempts, plan.source(), hintMillis);
    }

    /** The wait Breakwater would choose before Resilience4j applies its attempt limit. */
    private record Plan(long delayMillis, String reason, String source) {
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
