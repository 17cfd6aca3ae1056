package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.Provider;
import dev.breakwater.config.RetrySpec;
import dev.breakwater.config.SlidingWindowType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Anthropic's rules: never-retry answers, 529, spend limits, reset timestamps on a fake clock, keys, the breaker. */
class AnthropicRulesTest {
    private static final ProviderRules RULES = ProviderRules.of(Provider.ANTHROPIC);
    /** Built-in defaults: 529 is not listed. */
    private static final RetrySpec DEFAULT_RETRY = new RetrySpec(
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

    private static final RequestFacts GET = new RequestFacts("GET", false, true);

    /** 2025-01-01T00:00:00Z; moved by hand. */
    private final FakeClock clock = new FakeClock(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

    private final ServerHints hints = new ServerHints(clock);

    private static String errorBody(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message
                + "\"},\"request_id\":\"req_011\"}";
    }

    private static ProviderRules.ErrorFields fields(String body) {
        return RULES.errorFields(body.getBytes(StandardCharsets.UTF_8));
    }

    /** A 429 head carrying the error fields Anthropic's rules read from {@code body}. */
    private static TestHead rateLimited(String body) {
        ProviderRules.ErrorFields error = fields(body);
        return TestHead.of(429).error(error.type(), error.code());
    }

    @Nested
    class NeverRetry {
        @ParameterizedTest
        @ValueSource(ints = {400, 401, 402, 403, 404, 413})
        void clientErrorsAreNeverRetried(int status) {
            assertThat(RULES.neverRetry(TestHead.of(status))).contains(StopReason.STATUS_NOT_RETRYABLE);
        }

        @ParameterizedTest
        @ValueSource(ints = {408, 429, 500, 502, 503, 504, 529})
        void transientAnswersAreLeftToTheRoute(int status) {
            assertThat(RULES.neverRetry(TestHead.of(status))).isEmpty();
        }

        @Test
        void anUpstreamXShouldRetryFalseStopsEvenA529() {
            assertThat(RULES.neverRetry(TestHead.of(529, "x-should-retry", " False ")))
                    .contains(StopReason.UPSTREAM_SHOULD_RETRY_FALSE);
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "enforced_spend_limit_reached",
                    "contract_spend_limit_reached",
                    "linked_organization_spend_limit_reached"
                })
        void a429WhoseErrorCodeIsASpendLimitIsNeverRetried(String code) {
            String body = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Usage paused\","
                    + "\"details\":{\"error_code\":\"" + code + "\"}}}";

            assertThat(RULES.neverRetry(rateLimited(body))).contains(StopReason.INSUFFICIENT_QUOTA);
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "You have reached your specified API usage limits. Your spend limit resets on 2025-02-01.",
                    "Your credit balance is too low to access the Anthropic API.",
                    "This organization has reached its monthly Spending Limit"
                })
        void a429WhoseMessageNamesASpendOrCreditLimitIsNeverRetried(String message) {
            assertThat(RULES.neverRetry(rateLimited(errorBody("rate_limit_error", message))))
                    .contains(StopReason.INSUFFICIENT_QUOTA);
        }

        @Test
        void a429BillingErrorIsNeverRetried() {
            assertThat(RULES.neverRetry(rateLimited(errorBody("billing_error", "Payment required"))))
                    .contains(StopReason.INSUFFICIENT_QUOTA);
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":"
                            + "\"Number of request tokens has exceeded your per-minute rate limit\"}}",
                    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Ramp up slower\","
                            + "\"details\":{\"error_code\":\"ramp_limit_exceeded\"}}}",
                    "not json at all",
                    ""
                })
        void anOrdinaryRateLimitIsLeftToTheRoute(String body) {
            assertThat(RULES.neverRetry(rateLimited(body))).isEmpty();
        }
    }

    @Nested
    class Classification {
        private final RetryClassifier classifier = new RetryClassifier(DEFAULT_RETRY);

        @Test
        void a529IsRetriedThoughTheDefaultListLacksIt() {
            assertThat(DEFAULT_RETRY.retryOnStatus()).doesNotContain(529);

            assertThat(classifier.onResponse(GET, TestHead.of(529), RULES)).isEmpty();
        }

        @Test
        void a529IsNotRetryableOnAGenericRoute() {
            assertThat(new RetryClassifier(DEFAULT_RETRY)
                            .onResponse(GET, TestHead.of(529), ProviderRules.of(Provider.GENERIC)))
                    .contains(StopReason.STATUS_NOT_RETRYABLE);
        }

        @Test
        void anUpstreamXShouldRetryTrueMakesAnUnlistedErrorRetryable() {
            assertThat(classifier.onResponse(GET, TestHead.of(409, "x-should-retry", "true"), RULES))
                    .isEmpty();
            assertThat(classifier.onResponse(GET, TestHead.of(409), RULES)).contains(StopReason.STATUS_NOT_RETRYABLE);
        }

        @Test
        void aSuccessIsNeverRetriedWhateverItsHeaders() {
            assertThat(classifier.onResponse(GET, TestHead.of(200, "x-should-retry", "true"), RULES))
                    .contains(StopReason.STATUS_NOT_RETRYABLE);
        }

        @Test
        void onlyA429sBodyIsRead() {
            assertThat(RULES.wantsErrorBody(429)).isTrue();
            assertThat(RULES.wantsErrorBody(529)).isFalse();
            assertThat(RULES.wantsErrorBody(400)).isFalse();
        }
    }

    @Nested
    class ErrorBodies {
        @Test
        void readsTheTypeAndTheDetailsErrorCodeWhereverTheyStand() {
            String body = "{\"request_id\":\"req_1\",\"error\":{\"details\":{\"other\":[1,{\"a\":2}],"
                    + "\"error_code\":\"enforced_spend_limit_reached\"},\"message\":\"x\",\"type\":\"rate_limit_error\"},"
                    + "\"type\":\"error\"}";

            assertThat(fields(body))
                    .isEqualTo(new ProviderRules.ErrorFields("rate_limit_error", "enforced_spend_limit_reached"));
        }

        @Test
        void aMessageNamingASpendLimitIsMarkedWhenThereIsNoCode() {
            assertThat(fields(errorBody("rate_limit_error", "Monthly spend limit reached")))
                    .isEqualTo(
                            new ProviderRules.ErrorFields("rate_limit_error", AnthropicRules.SPEND_LIMIT_IN_MESSAGE));
        }

        @Test
        void aTruncatedBodyKeepsWhatWasRead() {
            String body = errorBody("rate_limit_error", "Your credit balance is too low to access the API");

            assertThat(fields(body.substring(0, body.indexOf("req_011"))))
                    .isEqualTo(
                            new ProviderRules.ErrorFields("rate_limit_error", AnthropicRules.SPEND_LIMIT_IN_MESSAGE));
            assertThat(fields(body.substring(0, 20))).isEqualTo(ProviderRules.ErrorFields.NONE);
        }

        @Test
        void anOpenAiShapedBodyGivesItsType() {
            assertThat(fields("{\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"code\":\"x\"}}"))
                    .isEqualTo(new ProviderRules.ErrorFields("server_error", null));
        }
    }

    @Nested
    class Hints {
        private Optional<ServerHint> hint(String... headers) {
            return RULES.hint(hints, TestHead.of(429, headers));
        }

        @Test
        void retryAfterComesFirst() {
            assertThat(hint(
                            "retry-after", "2",
                            "anthropic-ratelimit-requests-remaining", "0",
                            "anthropic-ratelimit-requests-reset", "2025-01-01T00:00:30Z"))
                    .contains(new ServerHint(2_000, WaitSource.RETRY_AFTER));
        }

        @Test
        void withoutRetryAfterTheResetOfTheExhaustedQuotaIsUsed() {
            assertThat(hint(
                            "anthropic-ratelimit-requests-remaining", "17",
                            "anthropic-ratelimit-requests-reset", "2025-01-01T00:00:50Z",
                            "anthropic-ratelimit-tokens-remaining", "0",
                            "anthropic-ratelimit-tokens-reset", "2025-01-01T00:00:07Z"))
                    .contains(new ServerHint(7_000, WaitSource.RATELIMIT_RESET));
        }

        @Test
        void theLatestResetAmongExhaustedQuotasWins() {
            assertThat(hint(
                            "anthropic-ratelimit-requests-remaining", "0",
                            "anthropic-ratelimit-requests-reset", "2025-01-01T00:00:03Z",
                            "anthropic-ratelimit-input-tokens-remaining", "0",
                            "anthropic-ratelimit-input-tokens-reset", "2025-01-01T00:00:12Z",
                            "anthropic-ratelimit-output-tokens-remaining", "0",
                            "anthropic-ratelimit-output-tokens-reset", "2025-01-01T00:00:05Z"))
                    .contains(new ServerHint(12_000, WaitSource.RATELIMIT_RESET));
        }

        @Test
        void resetsAreMeasuredAgainstTheInjectedClock() {
            String[] headers = {
                "anthropic-ratelimit-tokens-remaining", "0", "anthropic-ratelimit-tokens-reset", "2025-01-01T00:00:10Z"
            };
            assertThat(hint(headers)).contains(new ServerHint(10_000, WaitSource.RATELIMIT_RESET));

            clock.advance(Duration.ofMillis(7_500));
            assertThat(hint(headers)).contains(new ServerHint(2_500, WaitSource.RATELIMIT_RESET));

            clock.advance(Duration.ofSeconds(3));
            assertThat(hint(headers)).isEmpty();
        }

        @Test
        void quotasWithSomethingLeftGiveNoHint() {
            assertThat(hint(
                            "anthropic-ratelimit-requests-remaining", "1",
                            "anthropic-ratelimit-requests-reset", "2025-01-01T00:00:30Z"))
                    .isEmpty();
        }

        @Test
        void aGarbageResetFallsBackToTheNextQuota() {
            assertThat(hint(
                            "anthropic-ratelimit-requests-remaining", "0",
                            "anthropic-ratelimit-requests-reset", "in a minute",
                            "anthropic-ratelimit-tokens-remaining", "0",
                            "anthropic-ratelimit-tokens-reset", "2025-01-01T00:00:04Z"))
                    .contains(new ServerHint(4_000, WaitSource.RATELIMIT_RESET));
        }

        @ParameterizedTest
        @CsvSource({
            "2025-01-01T00:00:10Z, 10000",
            "2025-01-01T00:00:10.0001Z, 10001",
            "2025-01-01T00:00:10.250Z, 10250",
            "2025-01-01T02:00:05+02:00, 5000",
            "2025-01-01t00:00:01z, 1000",
            "2025-01-01 00:00:02Z, 2000",
            "+999999999-12-31T23:59:59Z, " + ServerHints.HUGE_MILLIS
        })
        void rfc3339TimestampsInEveryAllowedSpelling(String timestamp, long millis) {
            assertThat(hints.untilTimestamp(timestamp)).isEqualTo(OptionalLong.of(millis));
        }

        @ParameterizedTest
        @ValueSource(strings = {"2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", "2025-01-01", "30", "-", " "})
        void pastOrUnreadableTimestampsGiveNothing(String timestamp) {
            assertThat(hints.untilTimestamp(timestamp)).isEmpty();
        }

        @Test
        void anyExhaustedAnthropicQuotaShowsTheKeyLimited() {
            for (String quota : new String[] {"requests", "tokens", "input-tokens", "output-tokens"}) {
                assertThat(RULES.quotaExhausted(TestHead.of(429, "anthropic-ratelimit-" + quota + "-remaining", "0")))
                        .as(quota)
                        .isTrue();
            }
            assertThat(RULES.quotaExhausted(TestHead.of(429, "anthropic-ratelimit-tokens-remaining", "12")))
                    .isFalse();
        }
    }

    @Nested
    class Keys {
        private OutgoingRequest request(Map<String, String> headers, String body) {
            return new OutgoingRequest() {
                @Override
                public String header(String name) {
                    return headers.get(name);
                }

                @Override
                public java.io.InputStream bodyStream() {
                    return body == null
                            ? null
                            : new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
                }
            };
        }

        @Test
        void theKeyIsTheApiKeysFingerprintAndTheBodysModel() {
            String key = RateLimitKeys.of(
                    RULES,
                    "api.anthropic.com:443",
                    request(
                            Map.of("x-api-key", "sk-ant-secret"),
                            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":9}"));

            assertThat(key)
                    .isEqualTo(GateKeys.of("api.anthropic.com:443", "sk-ant-secret", "claude-sonnet-4-5"))
                    .endsWith("/claude-sonnet-4-5")
                    .doesNotContain("sk-ant-secret");
        }

        @Test
        void twoModelsOrTwoKeysNeverShareAKey() {
            String a = RateLimitKeys.of(RULES, "h:443", request(Map.of("x-api-key", "k1"), "{\"model\":\"a\"}"));

            assertThat(RateLimitKeys.of(RULES, "h:443", request(Map.of("x-api-key", "k1"), "{\"model\":\"b\"}")))
                    .isNotEqualTo(a);
            assertThat(RateLimitKeys.of(RULES, "h:443", request(Map.of("x-api-key", "k2"), "{\"model\":\"a\"}")))
                    .isNotEqualTo(a);
        }

        @Test
        void aStreamedBodyHasNoModel() {
            assertThat(RULES.model(request(Map.of(), null))).isNull();
        }
    }

    @Nested
    class Breaker {
        private final CircuitBreakerSpec defaults = new CircuitBreakerSpec(
                true,
                50,
                SlidingWindowType.COUNT_BASED,
                100,
                40,
                Duration.ofSeconds(30),
                20,
                100,
                Duration.ofMinutes(10),
                Set.of(500, 502, 503, 504));

        @Test
        void a529IsRecordedAsAFailureBesideTheRoutesStatuses() {
            CircuitBreakerSpec spec = RULES.breakerSpec(defaults);

            assertThat(spec.recordStatus()).containsExactlyInAnyOrder(500, 502, 503, 504, 529);
            assertThat(spec)
                    .usingRecursiveComparison()
                    .ignoringFields("recordStatus")
                    .isEqualTo(defaults);
        }

        @Test
        void otherProvidersKeepTheRoutesSettings() {
            for (Provider provider : new Provider[] {Provider.GENERIC, Provider.OPENAI, Provider.AZURE_OPENAI}) {
                assertThat(ProviderRules.of(provider).breakerSpec(defaults)).isSameAs(defaults);
            }
        }
    }
}
