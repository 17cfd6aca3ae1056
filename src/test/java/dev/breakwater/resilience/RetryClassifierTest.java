package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Provider;
import dev.breakwater.config.RetrySpec;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryClassifierTest {
    private static final RetrySpec SPEC = new RetrySpec(
            3,
            Duration.ofMillis(100),
            2.0,
            Duration.ofSeconds(1),
            0.0,
            Set.of(408, 429, 500, 502, 503, 504),
            Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
            Duration.ofSeconds(60),
            8 * 1024 * 1024,
            true,
            true);

    private final RetryClassifier classifier = new RetryClassifier(SPEC);

    /** What the classifier says of an outcome it lets be retried. */
    private static final Optional<StopReason> RETRY = Optional.empty();

    private static Optional<StopReason> stop(StopReason reason) {
        return Optional.of(reason);
    }

    private static RequestFacts get() {
        return new RequestFacts("GET", false, true);
    }

    private static RequestFacts post() {
        return new RequestFacts("POST", false, true);
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 502, 503, 504})
    void listedStatusIsRetriedForAnIdempotentMethod(int status) {
        assertThat(classifier.onResponse(get(), TestHead.of(status), GenericRules.INSTANCE))
                .isEqualTo(RETRY);
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 301, 400, 401, 404, 501})
    void unlistedStatusIsNotRetryable(int status) {
        assertThat(classifier.onResponse(get(), TestHead.of(status), GenericRules.INSTANCE))
                .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
    }

    @Test
    void postWithARetryableStatusIsNotRetriedWithoutAnIdempotencyKey() {
        assertThat(classifier.onResponse(post(), TestHead.of(503), GenericRules.INSTANCE))
                .isEqualTo(stop(StopReason.METHOD_NOT_RETRYABLE));
    }

    @Test
    void postWithAnIdempotencyKeyIsRetriedOnARetryableStatus() {
        assertThat(classifier.onResponse(new RequestFacts("POST", true, true), TestHead.of(503), GenericRules.INSTANCE))
                .isEqualTo(RETRY);
    }

    @Test
    void connectFailureIsRetriedEvenForPost() {
        assertThat(classifier.onFailure(post(), FailureKind.CONNECT_FAILURE)).isEqualTo(RETRY);
    }

    @ParameterizedTest
    @EnumSource(
            value = FailureKind.class,
            names = {"RESET_BEFORE_HEADERS", "RESPONSE_TIMEOUT"})
    void failureAfterTheRequestMayHaveBeenSentIsNotRetriedForPost(FailureKind kind) {
        assertThat(classifier.onFailure(post(), kind)).isEqualTo(stop(StopReason.METHOD_NOT_RETRYABLE));
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void everyFailureKindIsRetriedForAnIdempotentMethod(FailureKind kind) {
        assertThat(classifier.onFailure(get(), kind)).isEqualTo(RETRY);
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void everyFailureKindIsRetriedForPostWithAnIdempotencyKey(FailureKind kind) {
        assertThat(classifier.onFailure(new RequestFacts("POST", true, true), kind))
                .isEmpty();
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void nonReplayableBodyIsNeverRetriedAfterAFailure(FailureKind kind) {
        assertThat(classifier.onFailure(new RequestFacts("PUT", true, false), kind))
                .isEqualTo(stop(StopReason.BODY_NOT_REPLAYABLE));
    }

    @Test
    void nonReplayableBodyIsNeverRetriedOnARetryableStatus() {
        assertThat(classifier.onResponse(new RequestFacts("GET", true, false), TestHead.of(503), GenericRules.INSTANCE))
                .isEqualTo(stop(StopReason.BODY_NOT_REPLAYABLE));
    }

    @Test
    void aHeadWithOnlyAStatusIsClassifiedByStatusAndMethod() {
        assertThat(classifier.onResponse(get(), TestHead.of(503), GenericRules.INSTANCE))
                .isEqualTo(RETRY);
        assertThat(classifier.onResponse(post(), TestHead.of(503), GenericRules.INSTANCE))
                .isEqualTo(stop(StopReason.METHOD_NOT_RETRYABLE));
    }

    /** OpenAI's classification table, applied on top of {@code retry-on-status} and method safety. */
    @Nested
    class OpenAi {
        /** Lists the statuses OpenAI says never to retry, to show they are refused anyway. */
        private static final RetrySpec LISTS_EVERYTHING = new RetrySpec(
                3,
                Duration.ofMillis(100),
                2.0,
                Duration.ofSeconds(1),
                0.0,
                Set.of(400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 504),
                Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
                Duration.ofSeconds(60),
                8 * 1024 * 1024,
                true,
                true);

        private final RetryClassifier openai = new RetryClassifier(LISTS_EVERYTHING);
        private final RetryClassifier generic = new RetryClassifier(LISTS_EVERYTHING);

        @ParameterizedTest
        @ValueSource(ints = {400, 401, 403, 404, 422})
        void clientErrorsAreNeverRetriedEvenWhenListed(int status) {
            assertThat(openai.onResponse(get(), TestHead.of(status), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
            assertThat(openai.onResponse(
                            new RequestFacts("POST", true, true), TestHead.of(status), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
        }

        @ParameterizedTest
        @ValueSource(ints = {400, 401, 403, 404, 422})
        void clientErrorsAreNeverRetriedEvenWhenTheUpstreamSaysRetry(int status) {
            assertThat(openai.onResponse(get(), TestHead.of(status, "x-should-retry", "true"), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
        }

        @ParameterizedTest
        @ValueSource(ints = {400, 401, 403, 404, 422})
        void genericProviderRetriesTheClientErrorsItWasToldTo(int status) {
            assertThat(generic.onResponse(get(), TestHead.of(status), GenericRules.INSTANCE))
                    .isEqualTo(RETRY);
        }

        @ParameterizedTest(name = "code {0}")
        @ValueSource(
                strings = {
                    "insufficient_quota",
                    "billing_hard_limit_reached",
                    "billing_not_active",
                    "credit_balance_exhausted",
                    "INSUFFICIENT_QUOTA"
                })
        void rateLimitForLackOfQuotaIsNotRetriedByErrorCode(String code) {
            assertThat(openai.onResponse(get(), TestHead.of(429).error("requests", code), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.INSUFFICIENT_QUOTA));
        }

        @ParameterizedTest(name = "type {0}")
        @ValueSource(
                strings = {
                    "insufficient_quota",
                    "billing_hard_limit_reached",
                    "billing_not_active",
                    "credit_balance_exhausted"
                })
        void rateLimitForLackOfQuotaIsNotRetriedByErrorType(String type) {
            assertThat(openai.onResponse(get(), TestHead.of(429).error(type, null), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.INSUFFICIENT_QUOTA));
        }

        @Test
        void quotaErrorStopsEvenWithARetryAfter() {
            assertThat(openai.onResponse(
                            get(),
                            TestHead.of(429, "Retry-After", "1").error(null, "insufficient_quota"),
                            OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.INSUFFICIENT_QUOTA));
        }

        @ParameterizedTest(name = "type {0}, code {1}")
        @CsvSource(
                nullValues = "null",
                value = {
                    "requests, rate_limit_exceeded",
                    "tokens, rate_limit_exceeded",
                    "null, rate_limit_exceeded",
                    "null, null",
                })
        void plainRateLimitIsRetried(String type, String code) {
            assertThat(openai.onResponse(get(), TestHead.of(429).error(type, code), OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
        }

        @Test
        void plainRateLimitStillRespectsMethodSafety() {
            assertThat(openai.onResponse(
                            post(), TestHead.of(429).error("requests", "rate_limit_exceeded"), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.METHOD_NOT_RETRYABLE));
            assertThat(openai.onResponse(new RequestFacts("POST", true, true), TestHead.of(429), OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
        }

        @Test
        void quotaErrorCodeOnAnotherStatusIsNotAQuotaStop() {
            assertThat(openai.onResponse(
                            get(),
                            TestHead.of(503).error("insufficient_quota", "insufficient_quota"),
                            OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"false", "False", "FALSE", " false "})
        void upstreamShouldRetryFalseStopsAListedStatus(String value) {
            assertThat(openai.onResponse(get(), TestHead.of(503, "x-should-retry", value), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.UPSTREAM_SHOULD_RETRY_FALSE));
            assertThat(openai.onResponse(get(), TestHead.of(429, "X-Should-Retry", value), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.UPSTREAM_SHOULD_RETRY_FALSE));
        }

        @Test
        void upstreamShouldRetryTrueMakesAnUnlistedStatusRetryable() {
            assertThat(openai.onResponse(get(), TestHead.of(409), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));

            assertThat(openai.onResponse(get(), TestHead.of(409, "x-should-retry", "true"), OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
            assertThat(openai.onResponse(get(), TestHead.of(409, "X-Should-Retry", " TRUE "), OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
        }

        @Test
        void upstreamShouldRetryTrueIsStillSubjectToMethodSafetyAndReplayability() {
            assertThat(openai.onResponse(post(), TestHead.of(409, "x-should-retry", "true"), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.METHOD_NOT_RETRYABLE));
            assertThat(openai.onResponse(
                            new RequestFacts("POST", true, true),
                            TestHead.of(409, "x-should-retry", "true"),
                            OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
            assertThat(openai.onResponse(
                            new RequestFacts("GET", false, false),
                            TestHead.of(409, "x-should-retry", "true"),
                            OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.BODY_NOT_REPLAYABLE));
        }

        @ParameterizedTest
        @ValueSource(ints = {200, 201, 204, 304})
        void upstreamShouldRetryNeverRetriesASuccessOrRedirect(int status) {
            // SDKs read x-should-retry on error responses only; a success is never repeated.
            assertThat(openai.onResponse(get(), TestHead.of(status, "x-should-retry", "true"), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
            assertThat(openai.onResponse(
                            new RequestFacts("POST", true, true),
                            TestHead.of(status, "x-should-retry", "true"),
                            OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
            assertThat(openai.onResponse(get(), TestHead.of(status, "x-should-retry", "false"), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"", "yes", "1", "maybe"})
        void otherShouldRetryValuesChangeNothing(String value) {
            assertThat(openai.onResponse(get(), TestHead.of(503, "x-should-retry", value), OpenAiRules.INSTANCE))
                    .isEqualTo(RETRY);
            assertThat(openai.onResponse(get(), TestHead.of(409, "x-should-retry", value), OpenAiRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
        }

        @Test
        void genericProviderIgnoresShouldRetry() {
            assertThat(generic.onResponse(get(), TestHead.of(503, "x-should-retry", "false"), GenericRules.INSTANCE))
                    .isEqualTo(RETRY);
            assertThat(generic.onResponse(get(), TestHead.of(409, "x-should-retry", "true"), GenericRules.INSTANCE))
                    .isEqualTo(stop(StopReason.STATUS_NOT_RETRYABLE));
        }

        @Test
        void genericProviderIgnoresErrorCodes() {
            assertThat(generic.onResponse(
                            get(),
                            TestHead.of(429).error("insufficient_quota", "insufficient_quota"),
                            GenericRules.INSTANCE))
                    .isEqualTo(RETRY);
        }

        @Test
        void onlyAnOpenAiRateLimitWantsTheErrorBody() {
            assertThat(OpenAiRules.INSTANCE.wantsErrorBody(429)).isTrue();
            assertThat(OpenAiRules.INSTANCE.wantsErrorBody(503)).isFalse();
            assertThat(OpenAiRules.INSTANCE.wantsErrorBody(400)).isFalse();
            assertThat(OpenAiRules.INSTANCE.wantsErrorBody(200)).isFalse();
            assertThat(GenericRules.INSTANCE.wantsErrorBody(429)).isFalse();
            assertThat(ProviderRules.of(Provider.GENERIC).wantsErrorBody(429)).isFalse();
        }

        @Test
        void transportFailuresAreClassifiedAsForAnyProvider() {
            for (FailureKind kind : FailureKind.values()) {
                assertThat(openai.onFailure(get(), kind)).isEqualTo(generic.onFailure(get(), kind));
                assertThat(openai.onFailure(post(), kind)).isEqualTo(generic.onFailure(post(), kind));
            }
        }
    }
}
