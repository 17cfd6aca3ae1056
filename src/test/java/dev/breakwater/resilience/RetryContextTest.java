package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.RetrySpec;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.event.RetryOnRetryEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryContextTest {
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final RequestFacts GET = new RequestFacts("GET", false, true);
    private static final RequestFacts POST = new RequestFacts("POST", false, true);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private static RetrySpec spec(int maxAttempts, double factor) {
        return new RetrySpec(maxAttempts, Duration.ofMillis(100), 2.0, Duration.ofSeconds(1), factor,
                Set.of(429, 503), Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"), Duration.ofSeconds(60), 1024);
    }

    private RetryPolicy policy(RetrySpec spec, RandomGenerator random) {
        return new RetryPolicy("test-route", spec, new RetryClassifier(spec), random, now::get);
    }

    private RetryPolicy policy(int maxAttempts) {
        return policy(spec(maxAttempts, 0.0), new java.util.SplittableRandom(42));
    }

    private static long millisToNanos(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void retryableStatusIsRetriedAfterTheInitialBackoff() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(true, 100, "status_503", 1));
    }

    @Test
    void consecutiveRetriesWaitTheGrowingBackoff() {
        RetryContext context = policy(4).newContext(GET, NO_DEADLINE);

        assertThat(context.onResponse(503).delayMillis()).isEqualTo(100);
        assertThat(context.onResponse(429).delayMillis()).isEqualTo(200);
        assertThat(context.onFailure(FailureKind.RESPONSE_TIMEOUT).delayMillis()).isEqualTo(400);
    }

    @Test
    void retryDelayIsTheJitteredBackoffDrawnFromThePolicysRandomSource() {
        RandomGenerator lowest = new RandomGenerator() {
            @Override
            public double nextDouble() {
                return 0.0;
            }

            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }
        };
        RetryContext context = policy(spec(3, 0.5), lowest).newContext(GET, NO_DEADLINE);

        assertThat(context.onResponse(503).delayMillis()).isEqualTo(50);
        assertThat(context.onResponse(503).delayMillis()).isEqualTo(100);
    }

    @Test
    void statusNotInTheRetryListStopsWithStatusNotRetryable() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        assertThat(context.onResponse(404)).isEqualTo(new RetryDecision(false, -1, "status_not_retryable", 1));
    }

    @Test
    void successAfterARetryStopsWithStatusNotRetryable() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);
        context.onResponse(503);

        assertThat(context.onResponse(200)).isEqualTo(new RetryDecision(false, -1, "status_not_retryable", 2));
    }

    @Test
    void postIsNotRetriedOnARetryableStatus() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(false, -1, "method_not_retryable", 1));
    }

    @Test
    void postWithAnIdempotencyKeyIsRetriedOnARetryableStatus() {
        RetryContext context = policy(3).newContext(new RequestFacts("POST", true, true), NO_DEADLINE);

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(true, 100, "status_503", 1));
    }

    @Test
    void postIsRetriedAfterAConnectFailure() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(context.onFailure(FailureKind.CONNECT_FAILURE))
                .isEqualTo(new RetryDecision(true, 100, "connect_failure", 1));
    }

    @Test
    void postIsNotRetriedAfterAResetBeforeHeaders() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(context.onFailure(FailureKind.RESET_BEFORE_HEADERS))
                .isEqualTo(new RetryDecision(false, -1, "method_not_retryable", 1));
    }

    @Test
    void postIsNotRetriedAfterAResponseTimeout() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(context.onFailure(FailureKind.RESPONSE_TIMEOUT))
                .isEqualTo(new RetryDecision(false, -1, "method_not_retryable", 1));
    }

    @Test
    void nonReplayableBodyIsNotRetriedEvenAfterAConnectFailure() {
        RetryContext context = policy(3).newContext(new RequestFacts("GET", true, false), NO_DEADLINE);

        assertThat(context.onFailure(FailureKind.CONNECT_FAILURE))
                .isEqualTo(new RetryDecision(false, -1, "body_not_replayable", 1));
    }

    @Test
    void retryableStatusesAreRetriedUntilMaxAttemptsThenExhausted() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        List<RetryDecision> decisions = List.of(context.onResponse(503), context.onResponse(503),
                context.onResponse(503));

        assertThat(decisions).extracting(RetryDecision::attempt).containsExactly(1, 2, 3);
        assertThat(decisions).extracting(RetryDecision::retry).containsExactly(true, true, false);
        assertThat(decisions.get(2)).isEqualTo(new RetryDecision(false, -1, "attempts_exhausted", 3));
        assertThat(context.attempts()).isEqualTo(3);
    }

    @Test
    void retryableFailuresAreRetriedUntilMaxAttemptsThenExhausted() {
        RetryContext context = policy(2).newContext(POST, NO_DEADLINE);

        assertThat(context.onFailure(FailureKind.CONNECT_FAILURE).retry()).isTrue();
        assertThat(context.onFailure(FailureKind.CONNECT_FAILURE))
                .isEqualTo(new RetryDecision(false, -1, "attempts_exhausted", 2));
    }

    @Test
    void singleAttemptPolicyNeverRetries() {
        RetryContext context = policy(1).newContext(GET, NO_DEADLINE);

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(false, -1, "attempts_exhausted", 1));
    }

    @Test
    void retryThatWouldPassTheDeadlineIsNotScheduled() {
        long deadline = now.get() + millisToNanos(99);
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(false, -1, "deadline", 1));
    }

    @Test
    void retryThatWouldEndExactlyAtTheDeadlineIsNotScheduled() {
        long deadline = now.get() + millisToNanos(100);
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(context.onFailure(FailureKind.CONNECT_FAILURE))
                .isEqualTo(new RetryDecision(false, -1, "deadline", 1));
    }

    @Test
    void retryThatEndsBeforeTheDeadlineIsScheduled() {
        long deadline = now.get() + millisToNanos(100) + 1;
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(true, 100, "status_503", 1));
    }

    @Test
    void deadlineIsCheckedAgainstTheTickerAtDecisionTime() {
        long deadline = now.get() + millisToNanos(1_000);
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(context.onResponse(503).retry()).isTrue();
        now.addAndGet(millisToNanos(850)); // 150 ms left, the next backoff is 200 ms

        assertThat(context.onResponse(503)).isEqualTo(new RetryDecision(false, -1, "deadline", 2));
    }

    @Test
    void noDeadlineNeverStopsRetriesEvenAtAHugeTickerValue() {
        now.set(Long.MAX_VALUE - 1);
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        assertThat(context.onResponse(503).retry()).isTrue();
    }

    @Test
    void nonRetryableOutcomeReportsItsOwnReasonEvenPastTheDeadline() {
        long deadline = now.get();
        RetryContext context = policy(3).newContext(POST, deadline);

        assertThat(context.onResponse(503).reason()).isEqualTo("method_not_retryable");
    }

    @Test
    void immediateSuccessCountsAsSuccessWithoutRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        context.onResponse(200);
        context.onCommitted();

        Retry.Metrics metrics = policy.retry().getMetrics();
        assertThat(metrics.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isEqualTo(1);
        assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isZero();
        assertThat(metrics.getNumberOfFailedCallsWithRetryAttempt()).isZero();
        assertThat(metrics.getNumberOfFailedCallsWithoutRetryAttempt()).isZero();
    }

    @Test
    void successAfterARetryCountsAsSuccessWithRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        context.onResponse(503);
        context.onResponse(200);
        context.onCommitted();

        Retry.Metrics metrics = policy.retry().getMetrics();
        assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
        assertThat(metrics.getNumberOfSuccessfulCallsWithoutRetryAttempt()).isZero();
        assertThat(metrics.getNumberOfFailedCallsWithRetryAttempt()).isZero();
    }

    @Test
    void successAfterAConnectFailureRetryCountsAsSuccessWithRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(POST, NO_DEADLINE);

        context.onFailure(FailureKind.CONNECT_FAILURE);
        context.onResponse(201);
        context.onCommitted();

        assertThat(policy.retry().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isEqualTo(1);
    }

    @Test
    void committingAnExhaustedStatusCountsAsFailureWithRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        context.onResponse(503);
        context.onResponse(503);
        context.onResponse(503);
        context.onCommitted();

        Retry.Metrics metrics = policy.retry().getMetrics();
        assertThat(metrics.getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
        assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isZero();
    }

    @Test
    void exhaustedFailuresCountAsFailureWithRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        context.onFailure(FailureKind.CONNECT_FAILURE);
        context.onFailure(FailureKind.RESET_BEFORE_HEADERS);
        context.onFailure(FailureKind.RESPONSE_TIMEOUT);

        assertThat(policy.retry().getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
    }

    @Test
    void nonRetryableFailureCountsAsFailureWithoutRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(POST, NO_DEADLINE);

        context.onFailure(FailureKind.RESET_BEFORE_HEADERS);

        Retry.Metrics metrics = policy.retry().getMetrics();
        assertThat(metrics.getNumberOfFailedCallsWithoutRetryAttempt()).isEqualTo(1);
        assertThat(metrics.getNumberOfFailedCallsWithRetryAttempt()).isZero();
    }

    @Test
    void resilience4jRetryEventsCarryBreakwatersPlannedDelays() {
        RetryPolicy policy = policy(3);
        List<RetryOnRetryEvent> events = new ArrayList<>();
        policy.retry().getEventPublisher().onRetry(events::add);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        context.onResponse(503);
        context.onFailure(FailureKind.RESPONSE_TIMEOUT);
        context.onResponse(503);

        assertThat(events).extracting(RetryOnRetryEvent::getNumberOfRetryAttempts).containsExactly(1, 2);
        assertThat(events).extracting(RetryOnRetryEvent::getWaitInterval)
                .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void eachRequestHasItsOwnAttemptCount() {
        RetryPolicy policy = policy(2);
        RetryContext first = policy.newContext(GET, NO_DEADLINE);
        first.onResponse(503);
        first.onResponse(503);

        RetryContext second = policy.newContext(GET, NO_DEADLINE);

        assertThat(second.onResponse(503)).isEqualTo(new RetryDecision(true, 100, "status_503", 1));
    }
}
