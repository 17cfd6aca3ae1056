package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Provider;
import dev.breakwater.config.RetrySpec;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryClassifierTest {
    private static final RetrySpec SPEC = new RetrySpec(3, Duration.ofMillis(100), 2.0, Duration.ofSeconds(1), 0.0,
            Set.of(408, 429, 500, 502, 503, 504), Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
            Duration.ofSeconds(60), 8 * 1024 * 1024);

    private final RetryClassifier classifier = new RetryClassifier(SPEC);

    private static RequestFacts get() {
        return new RequestFacts("GET", false, true);
    }

    private static RequestFacts post() {
        return new RequestFacts("POST", false, true);
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 502, 503, 504})
    void listedStatusIsRetriedForAnIdempotentMethod(int status) {
        assertThat(classifier.onStatus(get(), status)).isEqualTo(RetryVerdict.retry("status_" + status));
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 301, 400, 401, 404, 501})
    void unlistedStatusIsNotRetryable(int status) {
        assertThat(classifier.onStatus(get(), status)).isEqualTo(RetryVerdict.stop("status_not_retryable"));
    }

    @Test
    void postWithARetryableStatusIsNotRetriedWithoutAnIdempotencyKey() {
        assertThat(classifier.onStatus(post(), 503)).isEqualTo(RetryVerdict.stop("method_not_retryable"));
    }

    @Test
    void postWithAnIdempotencyKeyIsRetriedOnARetryableStatus() {
        assertThat(classifier.onStatus(new RequestFacts("POST", true, true), 503))
                .isEqualTo(RetryVerdict.retry("status_503"));
    }

    @Test
    void connectFailureIsRetriedEvenForPost() {
        assertThat(classifier.onFailure(post(), FailureKind.CONNECT_FAILURE))
                .isEqualTo(RetryVerdict.retry("connect_failure"));
    }

    @ParameterizedTest
    @EnumSource(value = FailureKind.class, names = {"RESET_BEFORE_HEADERS", "RESPONSE_TIMEOUT"})
    void failureAfterTheRequestMayHaveBeenSentIsNotRetriedForPost(FailureKind kind) {
        assertThat(classifier.onFailure(post(), kind)).isEqualTo(RetryVerdict.stop("method_not_retryable"));
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void everyFailureKindIsRetriedForAnIdempotentMethodWithItsLabelAsReason(FailureKind kind) {
        assertThat(classifier.onFailure(get(), kind)).isEqualTo(RetryVerdict.retry(kind.label()));
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void everyFailureKindIsRetriedForPostWithAnIdempotencyKey(FailureKind kind) {
        assertThat(classifier.onFailure(new RequestFacts("POST", true, true), kind).retryable()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(FailureKind.class)
    void nonReplayableBodyIsNeverRetriedAfterAFailure(FailureKind kind) {
        assertThat(classifier.onFailure(new RequestFacts("PUT", true, false), kind))
                .isEqualTo(RetryVerdict.stop("body_not_replayable"));
    }

    @Test
    void nonReplayableBodyIsNeverRetriedOnARetryableStatus() {
        assertThat(classifier.onStatus(new RequestFacts("GET", true, false), 503))
                .isEqualTo(RetryVerdict.stop("body_not_replayable"));
    }

    @Test
    void genericClassifierIsTheOneArgumentClassifier() {
        RetryClassifier generic = new RetryClassifier(SPEC, Provider.GENERIC);

        assertThat(generic.onStatus(get(), 503)).isEqualTo(classifier.onStatus(get(), 503));
        assertThat(generic.onStatus(get(), 404)).isEqualTo(classifier.onStatus(get(), 404));
    }

    @Test
    void onStatusIsOnResponseWithoutHeaders() {
        assertThat(classifier.onResponse(get(), ResponseHead.ofStatus(503))).isEqualTo(RetryVerdict.retry("status_503"));
        assertThat(classifier.onResponse(post(), ResponseHead.ofStatus(503)))
                .isEqualTo(RetryVerdict.stop("method_not_retryable"));
    }

    /** OpenAI's classification table, applied on top of {@code retry-on-status} and method safety. */
    @Nested
    class OpenAi {
        /** Lists the statuses OpenAI says never to retry, to show they are refused anyway. */
        private static final RetrySpec LISTS_EVERYTHING = new RetrySpec(3, Duration.ofMillis(100), 2.0,
                Duration.ofSeconds(1), 0.0, Set.of(400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 504),
                Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"), Duration.ofSeconds(60), 8 * 1024 * 1024);

        private final RetryClassifier openai = new RetryClassifier(LISTS_EVERYTHING, Provider.OPENAI);
        private final RetryClassifier generic = new RetryClassifier(LISTS_EVERYTHING, Provider.GENERIC);

        @ParameterizedTest
        @ValueSource(ints = {400, 401, 403, 404, 422})
        void clientErrorsAreNeverRetriedEvenWhenListed(int status) {
            assertThat(openai.onResponse(get(), TestHead.of(status))).isEqualTo(RetryVerdict.stop("status_not_retryable"));
            assertThat(openai.onResponse(new RequestFacts("POST", true, true), TestHead.of(status)))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
        }

        @ParameterizedTest
        @ValueSource(ints = {400, 401, 403, 404, 422})
        void clientErrorsAreNeverRetriedEvenWhenTheUpstreamSaysRetry(int status) {
            assertThat(openai.onResponse(get(), TestHead.of(status, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
        }

        @ParameterizedTest
        @ValueSource(ints = {400, 401, 403, 404, 422})
        void genericProviderRetriesTheClientErrorsItWasToldTo(int status) {
            assertThat(generic.onResponse(get(), TestHead.of(status))).isEqualTo(RetryVerdict.retry("status_" + status));
        }

        @ParameterizedTest(name = "code {0}")
        @ValueSource(strings = {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active",
            "credit_balance_exhausted", "INSUFFICIENT_QUOTA"})
        void rateLimitForLackOfQuotaIsNotRetriedByErrorCode(String code) {
            assertThat(openai.onResponse(get(), TestHead.of(429).error("requests", code)))
                    .isEqualTo(RetryVerdict.stop("insufficient_quota"));
        }

        @ParameterizedTest(name = "type {0}")
        @ValueSource(strings = {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active",
            "credit_balance_exhausted"})
        void rateLimitForLackOfQuotaIsNotRetriedByErrorType(String type) {
            assertThat(openai.onResponse(get(), TestHead.of(429).error(type, null)))
                    .isEqualTo(RetryVerdict.stop("insufficient_quota"));
        }

        @Test
        void quotaErrorStopsEvenWithARetryAfter() {
            assertThat(openai.onResponse(get(), TestHead.of(429, "Retry-After", "1").error(null, "insufficient_quota")))
                    .isEqualTo(RetryVerdict.stop("insufficient_quota"));
        }

        @ParameterizedTest(name = "type {0}, code {1}")
        @CsvSource(nullValues = "null", value = {
            "requests, rate_limit_exceeded",
            "tokens, rate_limit_exceeded",
            "null, rate_limit_exceeded",
            "null, null",
        })
        void plainRateLimitIsRetried(String type, String code) {
            assertThat(openai.onResponse(get(), TestHead.of(429).error(type, code)))
                    .isEqualTo(RetryVerdict.retry("status_429"));
        }

        @Test
        void plainRateLimitStillRespectsMethodSafety() {
            assertThat(openai.onResponse(post(), TestHead.of(429).error("requests", "rate_limit_exceeded")))
                    .isEqualTo(RetryVerdict.stop("method_not_retryable"));
            assertThat(openai.onResponse(new RequestFacts("POST", true, true), TestHead.of(429)))
                    .isEqualTo(RetryVerdict.retry("status_429"));
        }

        @Test
        void quotaErrorCodeOnAnotherStatusIsNotAQuotaStop() {
            assertThat(openai.onResponse(get(), TestHead.of(503).error("insufficient_quota", "insufficient_quota")))
                    .isEqualTo(RetryVerdict.retry("status_503"));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"false", "False", "FALSE", " false "})
        void upstreamShouldRetryFalseStopsAListedStatus(String value) {
            assertThat(openai.onResponse(get(), TestHead.of(503, "x-should-retry", value)))
                    .isEqualTo(RetryVerdict.stop("upstream_should_retry_false"));
            assertThat(openai.onResponse(get(), TestHead.of(429, "X-Should-Retry", value)))
                    .isEqualTo(RetryVerdict.stop("upstream_should_retry_false"));
        }

        @Test
        void upstreamShouldRetryTrueMakesAnUnlistedStatusRetryable() {
            assertThat(openai.onResponse(get(), TestHead.of(409))).isEqualTo(RetryVerdict.stop("status_not_retryable"));

            assertThat(openai.onResponse(get(), TestHead.of(409, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.retry("status_409"));
            assertThat(openai.onResponse(get(), TestHead.of(409, "X-Should-Retry", " TRUE ")))
                    .isEqualTo(RetryVerdict.retry("status_409"));
        }

        @Test
        void upstreamShouldRetryTrueIsStillSubjectToMethodSafetyAndReplayability() {
            assertThat(openai.onResponse(post(), TestHead.of(409, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.stop("method_not_retryable"));
            assertThat(openai.onResponse(new RequestFacts("POST", true, true), TestHead.of(409, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.retry("status_409"));
            assertThat(openai.onResponse(new RequestFacts("GET", false, false), TestHead.of(409, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.stop("body_not_replayable"));
        }

        @ParameterizedTest
        @ValueSource(ints = {200, 201, 204, 304})
        void upstreamShouldRetryNeverRetriesASuccessOrRedirect(int status) {
            // SDKs read x-should-retry on error responses only; a success is never repeated.
            assertThat(openai.onResponse(get(), TestHead.of(status, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
            assertThat(openai.onResponse(new RequestFacts("POST", true, true), TestHead.of(status, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
            assertThat(openai.onResponse(get(), TestHead.of(status, "x-should-retry", "false")))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"", "yes", "1", "maybe"})
        void otherShouldRetryValuesChangeNothing(String value) {
            assertThat(openai.onResponse(get(), TestHead.of(503, "x-should-retry", value)))
                    .isEqualTo(RetryVerdict.retry("status_503"));
            assertThat(openai.onResponse(get(), TestHead.of(409, "x-should-retry", value)))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
        }

        @Test
        void genericProviderIgnoresShouldRetry() {
            assertThat(generic.onResponse(get(), TestHead.of(503, "x-should-retry", "false")))
                    .isEqualTo(RetryVerdict.retry("status_503"));
            assertThat(generic.onResponse(get(), TestHead.of(409, "x-should-retry", "true")))
                    .isEqualTo(RetryVerdict.stop("status_not_retryable"));
        }

        @Test
        void genericProviderIgnoresErrorCodes() {
            assertThat(generic.onResponse(get(), TestHead.of(429).error("insufficient_quota", "insufficient_quota")))
                    .isEqualTo(RetryVerdict.retry("status_429"));
        }

        @Test
        void onlyAnOpenAiRateLimitWantsTheErrorBody() {
            assertThat(openai.wantsErrorBody(429)).isTrue();
            assertThat(openai.wantsErrorBody(503)).isFalse();
            assertThat(openai.wantsErrorBody(400)).isFalse();
            assertThat(openai.wantsErrorBody(200)).isFalse();
            assertThat(generic.wantsErrorBody(429)).isFalse();
            assertThat(classifier.wantsErrorBody(429)).isFalse();
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
