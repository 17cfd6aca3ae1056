package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Provider;
import dev.breakwater.config.RetrySpec;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.retry.event.RetryOnRetryEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** The rules of the upstream that answers; a policy built by {@code hintPolicy} sets them. */
    private ProviderRules rules = ProviderRules.of(Provider.GENERIC);

    private static RetrySpec spec(int maxAttempts, double factor) {
        return new RetrySpec(
                maxAttempts,
                Duration.ofMillis(100),
                2.0,
                Duration.ofSeconds(1),
                factor,
                Set.of(429, 503),
                Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
                Duration.ofSeconds(60),
                1024,
                true,
                true);
    }

    private RetryPolicy policy(RetrySpec spec, RandomGenerator random) {
        return new RetryPolicy(
                "test-route", spec, new ServerHints(CLOCK), random, now::get, RetryRegistry.ofDefaults());
    }

    private RetryPolicy policy(int maxAttempts) {
        return policy(spec(maxAttempts, 0.0), new java.util.SplittableRandom(42));
    }

    /**
     * A decision as these tests compare it: every field of {@link RetryDecision}, with {@code delayMillis} -1 and
     * the stop reason's label for a {@link RetryDecision.Stop}.
     */
    private record Seen(
            boolean retry, long delayMillis, String reason, int attempt, String waitSource, long serverHintMillis) {
        boolean hasServerHint() {
            return serverHintMillis >= 0;
        }
    }

    private static Seen seen(RetryDecision decision) {
        if (decision instanceof RetryDecision.Retry r) {
            return new Seen(
                    true,
                    r.delayMillis(),
                    r.cause(),
                    r.attempt(),
                    r.waitSource().label(),
                    r.serverHintMillis());
        }
        RetryDecision.Stop stop = (RetryDecision.Stop) decision;
        return new Seen(
                false,
                -1,
                stop.reason().label(),
                stop.attempt(),
                stop.waitSource().label(),
                stop.serverHintMillis());
    }

    private static ResponseHead head(int status) {
        return TestHead.of(status);
    }

    private static ResponseHead head(ResponseHead head) {
        return head;
    }

    /** A decision whose wait, if any, came from the backoff, for a response that named no wait of its own. */
    private static Seen noHint(boolean retry, long delayMillis, String reason, int attempt) {
        return new Seen(retry, delayMillis, reason, attempt, "backoff", -1);
    }

    private static long millisToNanos(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void retryableStatusIsRetriedAfterTheInitialBackoff() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(503), rules, false))).isEqualTo(noHint(true, 100, "status_503", 1));
    }

    @Test
    void consecutiveRetriesWaitTheGrowingBackoff() {
        RetryContext context = policy(4).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(503), rules, false)).delayMillis())
                .isEqualTo(100);
        assertThat(seen(context.onResponse(head(429), rules, false)).delayMillis())
                .isEqualTo(200);
        assertThat(seen(context.onFailure(FailureKind.RESPONSE_TIMEOUT, false)).delayMillis())
                .isEqualTo(400);
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

        assertThat(seen(context.onResponse(head(503), rules, false)).delayMillis())
                .isEqualTo(50);
        assertThat(seen(context.onResponse(head(503), rules, false)).delayMillis())
                .isEqualTo(100);
    }

    @Test
    void statusNotInTheRetryListStopsWithStatusNotRetryable() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(404), rules, false)))
                .isEqualTo(noHint(false, -1, "status_not_retryable", 1));
    }

    @Test
    void successAfterARetryStopsWithStatusNotRetryable() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);
        seen(context.onResponse(head(503), rules, false));

        assertThat(seen(context.onResponse(head(200), rules, false)))
                .isEqualTo(noHint(false, -1, "status_not_retryable", 2));
    }

    @Test
    void postIsNotRetriedOnARetryableStatus() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(503), rules, false)))
                .isEqualTo(noHint(false, -1, "method_not_retryable", 1));
    }

    @Test
    void postWithAnIdempotencyKeyIsRetriedOnARetryableStatus() {
        RetryContext context = policy(3).newContext(new RequestFacts("POST", true, true), NO_DEADLINE);

        assertThat(seen(context.onResponse(head(503), rules, false))).isEqualTo(noHint(true, 100, "status_503", 1));
    }

    @Test
    void postIsRetriedAfterAConnectFailure() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(seen(context.onFailure(FailureKind.CONNECT_FAILURE, false)))
                .isEqualTo(noHint(true, 100, "connect_failure", 1));
    }

    @Test
    void postIsNotRetriedAfterAResetBeforeHeaders() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(seen(context.onFailure(FailureKind.RESET_BEFORE_HEADERS, false)))
                .isEqualTo(noHint(false, -1, "method_not_retryable", 1));
    }

    @Test
    void postIsNotRetriedAfterAResponseTimeout() {
        RetryContext context = policy(3).newContext(POST, NO_DEADLINE);

        assertThat(seen(context.onFailure(FailureKind.RESPONSE_TIMEOUT, false)))
                .isEqualTo(noHint(false, -1, "method_not_retryable", 1));
    }

    @Test
    void nonReplayableBodyIsNotRetriedEvenAfterAConnectFailure() {
        RetryContext context = policy(3).newContext(new RequestFacts("GET", true, false), NO_DEADLINE);

        assertThat(seen(context.onFailure(FailureKind.CONNECT_FAILURE, false)))
                .isEqualTo(noHint(false, -1, "body_not_replayable", 1));
    }

    @Test
    void retryableStatusesAreRetriedUntilMaxAttemptsThenExhausted() {
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        List<Seen> decisions = List.of(
                seen(context.onResponse(head(503), rules, false)),
                seen(context.onResponse(head(503), rules, false)),
                seen(context.onResponse(head(503), rules, false)));

        assertThat(decisions).extracting(Seen::attempt).containsExactly(1, 2, 3);
        assertThat(decisions).extracting(Seen::retry).containsExactly(true, true, false);
        assertThat(decisions.get(2)).isEqualTo(noHint(false, -1, "attempts_exhausted", 3));
        assertThat(context.attempts()).isEqualTo(3);
    }

    @Test
    void retryableFailuresAreRetriedUntilMaxAttemptsThenExhausted() {
        RetryContext context = policy(2).newContext(POST, NO_DEADLINE);

        assertThat(seen(context.onFailure(FailureKind.CONNECT_FAILURE, false)).retry())
                .isTrue();
        assertThat(seen(context.onFailure(FailureKind.CONNECT_FAILURE, false)))
                .isEqualTo(noHint(false, -1, "attempts_exhausted", 2));
    }

    @Test
    void singleAttemptPolicyNeverRetries() {
        RetryContext context = policy(1).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(503), rules, false)))
                .isEqualTo(noHint(false, -1, "attempts_exhausted", 1));
    }

    @Test
    void retryThatWouldPassTheDeadlineIsNotScheduled() {
        long deadline = now.get() + millisToNanos(99);
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(seen(context.onResponse(head(503), rules, false))).isEqualTo(noHint(false, -1, "deadline", 1));
    }

    @Test
    void retryThatWouldEndExactlyAtTheDeadlineIsNotScheduled() {
        long deadline = now.get() + millisToNanos(100);
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(seen(context.onFailure(FailureKind.CONNECT_FAILURE, false)))
                .isEqualTo(noHint(false, -1, "deadline", 1));
    }

    @Test
    void retryThatEndsBeforeTheDeadlineIsScheduled() {
        long deadline = now.get() + millisToNanos(100) + 1;
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(seen(context.onResponse(head(503), rules, false))).isEqualTo(noHint(true, 100, "status_503", 1));
    }

    @Test
    void deadlineIsCheckedAgainstTheTickerAtDecisionTime() {
        long deadline = now.get() + millisToNanos(1_000);
        RetryContext context = policy(3).newContext(GET, deadline);

        assertThat(seen(context.onResponse(head(503), rules, false)).retry()).isTrue();
        now.addAndGet(millisToNanos(850)); // 150 ms left, the next backoff is 200 ms

        assertThat(seen(context.onResponse(head(503), rules, false))).isEqualTo(noHint(false, -1, "deadline", 2));
    }

    @Test
    void noDeadlineNeverStopsRetriesEvenAtAHugeTickerValue() {
        now.set(Long.MAX_VALUE - 1);
        RetryContext context = policy(3).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(503), rules, false)).retry()).isTrue();
    }

    @Test
    void nonRetryableOutcomeReportsItsOwnReasonEvenPastTheDeadline() {
        long deadline = now.get();
        RetryContext context = policy(3).newContext(POST, deadline);

        assertThat(seen(context.onResponse(head(503), rules, false)).reason()).isEqualTo("method_not_retryable");
    }

    @Test
    void immediateSuccessCountsAsSuccessWithoutRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        seen(context.onResponse(head(200), rules, false));
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

        seen(context.onResponse(head(503), rules, false));
        seen(context.onResponse(head(200), rules, false));
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

        seen(context.onFailure(FailureKind.CONNECT_FAILURE, false));
        seen(context.onResponse(head(201), rules, false));
        context.onCommitted();

        assertThat(policy.retry().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt())
                .isEqualTo(1);
    }

    @Test
    void committingAnExhaustedStatusCountsAsFailureWithRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        seen(context.onResponse(head(503), rules, false));
        seen(context.onResponse(head(503), rules, false));
        seen(context.onResponse(head(503), rules, false));
        context.onCommitted();

        Retry.Metrics metrics = policy.retry().getMetrics();
        assertThat(metrics.getNumberOfFailedCallsWithRetryAttempt()).isEqualTo(1);
        assertThat(metrics.getNumberOfSuccessfulCallsWithRetryAttempt()).isZero();
    }

    @Test
    void exhaustedFailuresCountAsFailureWithRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        seen(context.onFailure(FailureKind.CONNECT_FAILURE, false));
        seen(context.onFailure(FailureKind.RESET_BEFORE_HEADERS, false));
        seen(context.onFailure(FailureKind.RESPONSE_TIMEOUT, false));

        assertThat(policy.retry().getMetrics().getNumberOfFailedCallsWithRetryAttempt())
                .isEqualTo(1);
    }

    @Test
    void nonRetryableFailureCountsAsFailureWithoutRetry() {
        RetryPolicy policy = policy(3);
        RetryContext context = policy.newContext(POST, NO_DEADLINE);

        seen(context.onFailure(FailureKind.RESET_BEFORE_HEADERS, false));

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

        seen(context.onResponse(head(503), rules, false));
        seen(context.onFailure(FailureKind.RESPONSE_TIMEOUT, false));
        seen(context.onResponse(head(503), rules, false));

        assertThat(events)
                .extracting(RetryOnRetryEvent::getNumberOfRetryAttempts)
                .containsExactly(1, 2);
        assertThat(events)
                .extracting(RetryOnRetryEvent::getWaitInterval)
                .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void eachRequestHasItsOwnAttemptCount() {
        RetryPolicy policy = policy(2);
        RetryContext first = policy.newContext(GET, NO_DEADLINE);
        seen(first.onResponse(head(503), rules, false));
        seen(first.onResponse(head(503), rules, false));

        RetryContext second = policy.newContext(GET, NO_DEADLINE);

        assertThat(seen(second.onResponse(head(503), rules, false))).isEqualTo(noHint(true, 100, "status_503", 1));
    }

    // Server hints: the wait is max(backoff, hint), capped by max-retry-after and the deadline.

    private RetryPolicy hintPolicy(int maxAttempts, boolean openai) {
        RetrySpec spec = spec(maxAttempts, 0.0);
        rules = ProviderRules.of(openai ? Provider.OPENAI : Provider.GENERIC);
        return new RetryPolicy(
                "test-route",
                spec,
                new ServerHints(CLOCK),
                new java.util.SplittableRandom(42),
                now::get,
                RetryRegistry.ofDefaults());
    }

    private RetryContext hintContext(RequestFacts request, long deadlineNanos) {
        return hintPolicy(3, false).newContext(request, deadlineNanos);
    }

    @Test
    void retryAfterLongerThanTheBackoffSetsTheWait() {
        Seen decision =
                seen(hintContext(GET, NO_DEADLINE).onResponse(TestHead.of(429, "Retry-After", "2"), rules, false));

        assertThat(decision).isEqualTo(new Seen(true, 2_000, "status_429", 1, "retry-after", 2_000));
        assertThat(decision.hasServerHint()).isTrue();
    }

    @Test
    void retryAfterMsLongerThanTheBackoffSetsTheWait() {
        assertThat(seen(hintContext(GET, NO_DEADLINE)
                        .onResponse(TestHead.of(503, "retry-after-ms", "150"), rules, false)))
                .isEqualTo(new Seen(true, 150, "status_503", 1, "retry-after-ms", 150));
    }

    @Test
    void retryAfterAsAnHttpDateSetsTheWait() {
        assertThat(seen(hintContext(GET, NO_DEADLINE)
                        .onResponse(TestHead.of(503, "Retry-After", "Wed, 01 Jan 2025 00:00:03 GMT"), rules, false)))
                .isEqualTo(new Seen(true, 3_000, "status_503", 1, "retry-after", 3_000));
    }

    @Test
    void openAiRateLimitResetSetsTheWait() {
        RetryContext context = hintPolicy(3, true).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(
                        head(TestHead.of(429, "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "1.5s")),
                        rules,
                        false)))
                .isEqualTo(new Seen(true, 1_500, "status_429", 1, "ratelimit-reset", 1_500));
    }

    @Test
    void rateLimitResetIsNotReadForAGenericRoute() {
        assertThat(seen(hintContext(GET, NO_DEADLINE)
                        .onResponse(
                                TestHead.of(
                                        429, "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "1.5s"),
                                rules,
                                false)))
                .isEqualTo(noHint(true, 100, "status_429", 1));
    }

    @Test
    void hintShorterThanTheBackoffKeepsTheBackoff() {
        RetryContext context = hintContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(TestHead.of(503, "retry-after-ms", "40")), rules, false)))
                .isEqualTo(new Seen(true, 100, "status_503", 1, "backoff", 40));
        assertThat(seen(context.onResponse(head(TestHead.of(503, "Retry-After", "0")), rules, false)))
                .isEqualTo(new Seen(true, 200, "status_503", 2, "backoff", 0));
    }

    @Test
    void hintEqualToTheBackoffIsReportedAsBackoff() {
        assertThat(seen(hintContext(GET, NO_DEADLINE)
                        .onResponse(TestHead.of(503, "retry-after-ms", "100"), rules, false)))
                .isEqualTo(new Seen(true, 100, "status_503", 1, "backoff", 100));
    }

    @Test
    void laterAttemptsTakeTheLongerOfTheGrowingBackoffAndTheHint() {
        RetryContext context = hintPolicy(4, false).newContext(GET, NO_DEADLINE);

        assertThat(seen(context.onResponse(head(TestHead.of(503, "retry-after-ms", "150")), rules, false))
                        .waitSource())
                .isEqualTo("retry-after-ms");
        Seen second = seen(context.onResponse(head(TestHead.of(503, "retry-after-ms", "150")), rules, false));

        assertThat(second.delayMillis()).isEqualTo(200);
        assertThat(second.waitSource()).isEqualTo("backoff");
        assertThat(second.serverHintMillis()).isEqualTo(150);
    }

    @Test
    void hintAtMaxRetryAfterIsHonoured() {
        assertThat(seen(hintContext(GET, NO_DEADLINE).onResponse(TestHead.of(429, "Retry-After", "60"), rules, false)))
                .isEqualTo(new Seen(true, 60_000, "status_429", 1, "retry-after", 60_000));
    }

    @Test
    void hintAboveMaxRetryAfterStopsAtOnceEvenOnTheFirstAttempt() {
        RetryContext context = hintContext(GET, NO_DEADLINE);

        Seen decision = seen(context.onResponse(head(TestHead.of(429, "Retry-After", "61")), rules, false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("retry_after_too_long");
        assertThat(decision.attempt()).isEqualTo(1);
        assertThat(decision.waitSource()).isEqualTo("retry-after");
        assertThat(decision.serverHintMillis()).isEqualTo(61_000);
    }

    @Test
    void hugeHintStopsWithRetryAfterTooLongWithoutOverflowing() {
        RetryContext context = hintContext(GET, now.get() + millisToNanos(5_000));

        Seen decision = seen(context.onResponse(head(TestHead.of(429, "Retry-After", "9".repeat(30))), rules, false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("retry_after_too_long");
        assertThat(decision.serverHintMillis()).isGreaterThanOrEqualTo(ServerHints.HUGE_MILLIS);
    }

    @Test
    void hintAboveMaxRetryAfterStopsEvenForAListedStatusThatIsNot429() {
        Seen decision = seen(
                hintContext(GET, NO_DEADLINE).onResponse(TestHead.of(503, "retry-after-ms", "60001"), rules, false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("retry_after_too_long");
        assertThat(decision.waitSource()).isEqualTo("retry-after-ms");
    }

    @Test
    void hintWithinTheCapButPastTheDeadlineStopsWithDeadline() {
        RetryContext context = hintContext(GET, now.get() + millisToNanos(1_000));

        Seen decision = seen(context.onResponse(head(TestHead.of(429, "Retry-After", "2")), rules, false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("deadline");
        assertThat(decision.waitSource()).isEqualTo("retry-after");
        assertThat(decision.serverHintMillis()).isEqualTo(2_000);
    }

    @Test
    void hintEndingBeforeTheDeadlineIsScheduled() {
        RetryContext context = hintContext(GET, now.get() + millisToNanos(2_000) + 1);

        assertThat(seen(context.onResponse(head(TestHead.of(429, "Retry-After", "2")), rules, false))
                        .retry())
                .isTrue();
    }

    @Test
    void serverHintIsReportedWhenTheMethodIsNotRetryable() {
        Seen decision =
                seen(hintContext(POST, NO_DEADLINE).onResponse(TestHead.of(429, "Retry-After", "5"), rules, false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("method_not_retryable");
        assertThat(decision.serverHintMillis()).isEqualTo(5_000);
        assertThat(decision.hasServerHint()).isTrue();
    }

    @Test
    void serverHintIsReportedWhenTheStatusIsNotRetryable() {
        Seen decision =
                seen(hintContext(GET, NO_DEADLINE).onResponse(TestHead.of(404, "retry-after-ms", "250"), rules, false));

        assertThat(decision.reason()).isEqualTo("status_not_retryable");
        assertThat(decision.serverHintMillis()).isEqualTo(250);
    }

    @Test
    void serverHintIsReportedWhenAttemptsAreExhausted() {
        Seen decision = seen(hintPolicy(1, false)
                .newContext(GET, NO_DEADLINE)
                .onResponse(TestHead.of(429, "Retry-After", "2"), rules, false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("attempts_exhausted");
        assertThat(decision.serverHintMillis()).isEqualTo(2_000);
    }

    @Test
    void quotaErrorIsNotRetriedWhateverTheHint() {
        RetryContext context = hintPolicy(3, true).newContext(GET, NO_DEADLINE);

        Seen decision = seen(context.onResponse(
                head(TestHead.of(429, "Retry-After", "1").error("insufficient_quota", "insufficient_quota")),
                rules,
                false));

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("insufficient_quota");
        assertThat(decision.serverHintMillis()).isEqualTo(1_000);
    }

    @Test
    void failuresNeverCarryAServerHint() {
        Seen decision = seen(hintContext(GET, NO_DEADLINE).onFailure(FailureKind.RESPONSE_TIMEOUT, false));

        assertThat(decision).isEqualTo(noHint(true, 100, "response_timeout", 1));
        assertThat(decision.hasServerHint()).isFalse();
    }

    @Test
    void resilience4jRetryEventsCarryTheHintedWait() {
        RetryPolicy policy = hintPolicy(3, false);
        List<RetryOnRetryEvent> events = new ArrayList<>();
        policy.retry().getEventPublisher().onRetry(events::add);
        RetryContext context = policy.newContext(GET, NO_DEADLINE);

        seen(context.onResponse(head(TestHead.of(429, "Retry-After", "3")), rules, false));

        assertThat(events).extracting(RetryOnRetryEvent::getWaitInterval).containsExactly(Duration.ofSeconds(3));
    }
}
