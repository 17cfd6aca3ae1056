package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.RetrySpec;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
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
}
