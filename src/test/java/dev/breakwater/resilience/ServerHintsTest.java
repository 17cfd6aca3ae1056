package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServerHintsTest {
    /** Wednesday 2025-01-01, a quarter second past midnight UTC, so HTTP-dates give exact, non-round millis. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00.250Z"), ZoneOffset.UTC);

    private final ServerHints hints = new ServerHints(CLOCK);

    private Optional<ServerHint> read(String... headers) {
        return hints.read(TestHead.of(429, headers));
    }

    private Optional<ServerHint> readOpenAi(String... headers) {
        return OpenAiRules.INSTANCE.hint(hints, TestHead.of(429, headers));
    }

    private static ServerHint hint(long millis, String source) {
        return new ServerHint(
                millis,
                java.util.Arrays.stream(WaitSource.values())
                        .filter(s -> s.label().equals(source))
                        .findFirst()
                        .orElseThrow());
    }

    /** A huge hint is clamped near {@link ServerHints#HUGE_MILLIS}: far above any cap, far from overflowing. */
    private static void assertClamped(Optional<ServerHint> hint, String source) {
        assertThat(hint).hasValueSatisfying(h -> {
            assertThat(h.source().label()).isEqualTo(source);
            assertThat(h.millis())
                    .isGreaterThanOrEqualTo(ServerHints.HUGE_MILLIS)
                    .isLessThan(Long.MAX_VALUE / 2);
        });
    }

    @Test
    void noHeadersNoHint() {
        assertThat(read()).isEmpty();
        assertThat(readOpenAi()).isEmpty();
        assertThat(OpenAiRules.INSTANCE.hint(hints, TestHead.of(503))).isEmpty();
    }

    @Nested
    class RetryAfterMs {
        @ParameterizedTest(name = "{0} -> {1}")
        @CsvSource({"0, 0", "1, 1", "250, 250", "60000, 60000", "' 42 ', 42", "1.2, 2", "0.001, 1", "99.5, 100"})
        void millisecondsAreReadAndFractionsRoundedUp(String value, long millis) {
            assertThat(read("retry-after-ms", value)).contains(hint(millis, "retry-after-ms"));
        }

        @Test
        void headerNameIsCaseInsensitive() {
            assertThat(read("Retry-After-Ms", "300")).contains(hint(300, "retry-after-ms"));
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"-1", "-0.5", "abc", "", " ", "12abc", "NaN", "Infinity", "-Infinity"})
        void negativeOrGarbageIsIgnoredAndRetryAfterIsUsedInstead(String value) {
            assertThat(read("retry-after-ms", value, "Retry-After", "3")).contains(hint(3_000, "retry-after"));
            assertThat(read("retry-after-ms", value)).isEmpty();
        }

        @Test
        void hugeValuesAreClampedInsteadOfOverflowing() {
            assertClamped(read("retry-after-ms", "1e300"), "retry-after-ms");
            assertClamped(read("retry-after-ms", "9".repeat(40)), "retry-after-ms");
        }
    }

    @Nested
    class RetryAfterSeconds {
        @ParameterizedTest(name = "{0} s -> {1} ms")
        @CsvSource({
            "0, 0",
            "1, 1000",
            "120, 120000",
            "' 5 ', 5000",
            "1.5, 1500",
            "0.0001, 1",
            "2.007, 2007",
            "0.25, 250"
        })
        void deltaSecondsAreReadInMillisecondsRoundedUp(String value, long millis) {
            assertThat(read("Retry-After", value)).contains(hint(millis, "retry-after"));
        }

        @Test
        void hugeDeltaSecondsAreClampedInsteadOfOverflowing() {
            assertClamped(read("Retry-After", "99999999999999999999999"), "retry-after");
            assertClamped(read("Retry-After", "9".repeat(400)), "retry-after");
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(
                strings = {
                    "",
                    "  ",
                    "soon",
                    "-5",
                    "1.2.3",
                    ".",
                    "5s",
                    "1e3",
                    "0x10",
                    "Wed, 32 Jan 2025 00:00:00 GMT",
                    "Wed, 01 Jan 2025 25:00:00 GMT",
                    "2025-01-01T00:01:00Z"
                })
        void garbageIsIgnored(String value) {
            assertThat(read("Retry-After", value)).isEmpty();
        }
    }

    @Nested
    class RetryAfterHttpDate {
        @Test
        void imfFixdateInTheFutureGivesTheExactMillisecondsLeft() {
            assertThat(read("Retry-After", "Wed, 01 Jan 2025 00:00:30 GMT")).contains(hint(29_750, "retry-after"));
            assertThat(read("Retry-After", "Thu, 02 Jan 2025 00:00:00 GMT"))
                    .contains(hint(86_400_000 - 250, "retry-after"));
        }

        @Test
        void imfFixdateInThePastOrNowIsIgnored() {
            assertThat(read("Retry-After", "Tue, 31 Dec 2024 23:59:30 GMT")).isEmpty();
            assertThat(read("Retry-After", "Wed, 01 Jan 2025 00:00:00 GMT")).isEmpty();
            assertThat(read("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")).isEmpty();
        }

        @Test
        void pastDateFallsThroughToTheRateLimitReset() {
            assertThat(readOpenAi(
                            "Retry-After",
                            "Tue, 31 Dec 2024 23:59:30 GMT",
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "2s"))
                    .contains(hint(2_000, "ratelimit-reset"));
        }

        @Test
        void rfc850DateIsRead() {
            assertThat(read("Retry-After", "Wednesday, 01-Jan-25 00:00:10 GMT")).contains(hint(9_750, "retry-after"));
        }

        @Test
        void rfc850DateInThePastIsIgnored() {
            assertThat(read("Retry-After", "Sunday, 06-Nov-94 08:49:37 GMT")).isEmpty();
            assertThat(read("Retry-After", "Tuesday, 31-Dec-24 23:00:00 GMT")).isEmpty();
        }

        @Test
        void asctimeDateIsRead() {
            assertThat(read("Retry-After", "Wed Jan  1 00:00:10 2025")).contains(hint(9_750, "retry-after"));
            assertThat(read("Retry-After", "Wed Jan 15 00:00:00 2025"))
                    .contains(hint(14 * 86_400_000L - 250, "retry-after"));
        }

        @Test
        void asctimeDateInThePastIsIgnored() {
            assertThat(read("Retry-After", "Sun Nov  6 08:49:37 1994")).isEmpty();
        }

        @Test
        void farFutureFourDigitYearIsAHugeWaitNotAPastCenturyDate() {
            // The two-digit-year rule of RFC 9110 applies to rfc850-date only.
            long toYear2100 = Instant.parse("2100-01-01T00:00:00Z").toEpochMilli() - CLOCK.millis();

            assertThat(read("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT")).contains(hint(toYear2100, "retry-after"));
            assertThat(read("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"))
                    .get()
                    .satisfies(h -> assertThat(h.millis()).isPositive().isLessThanOrEqualTo(ServerHints.HUGE_MILLIS));
        }
    }

    @Nested
    class OpenAiRateLimitReset {
        @Test
        void exhaustedRequestsLimitGivesItsReset() {
            assertThat(readOpenAi(
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "1.5s",
                            "x-ratelimit-remaining-tokens",
                            "1000",
                            "x-ratelimit-reset-tokens",
                            "6m0s"))
                    .contains(hint(1_500, "ratelimit-reset"));
        }

        @Test
        void exhaustedTokensLimitGivesItsReset() {
            assertThat(readOpenAi(
                            "x-ratelimit-remaining-requests",
                            "59",
                            "x-ratelimit-reset-requests",
                            "1s",
                            "x-ratelimit-remaining-tokens",
                            "0",
                            "x-ratelimit-reset-tokens",
                            "6m0s"))
                    .contains(hint(360_000, "ratelimit-reset"));
        }

        @Test
        void bothExhaustedGivesTheLaterReset() {
            assertThat(readOpenAi(
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "20ms",
                            "x-ratelimit-remaining-tokens",
                            "0",
                            "x-ratelimit-reset-tokens",
                            "1.5s"))
                    .contains(hint(1_500, "ratelimit-reset"));
            assertThat(readOpenAi(
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "1m",
                            "x-ratelimit-remaining-tokens",
                            "0",
                            "x-ratelimit-reset-tokens",
                            "1.5s"))
                    .contains(hint(60_000, "ratelimit-reset"));
        }

        @Test
        void headerNamesAreCaseInsensitive() {
            assertThat(readOpenAi("X-RateLimit-Remaining-Tokens", "0", "X-RateLimit-Reset-Tokens", "250ms"))
                    .contains(hint(250, "ratelimit-reset"));
        }

        @ParameterizedTest(name = "remaining \"{0}\"")
        @ValueSource(strings = {"1", "100", "00", "0.0", "-1", "", "zero"})
        void resetIsIgnoredUnlessRemainingIsExactlyZero(String remaining) {
            assertThat(readOpenAi(
                            "x-ratelimit-remaining-requests",
                            remaining,
                            "x-ratelimit-reset-requests",
                            "1s",
                            "x-ratelimit-remaining-tokens",
                            remaining,
                            "x-ratelimit-reset-tokens",
                            "2s"))
                    .isEmpty();
        }

        @Test
        void resetWithoutARemainingHeaderIsIgnored() {
            assertThat(readOpenAi("x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "2s"))
                    .isEmpty();
        }

        @Test
        void garbageResetOfOneLimitLeavesTheOther() {
            assertThat(readOpenAi(
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "soon",
                            "x-ratelimit-remaining-tokens",
                            "0",
                            "x-ratelimit-reset-tokens",
                            "3s"))
                    .contains(hint(3_000, "ratelimit-reset"));
            assertThat(readOpenAi("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "soon"))
                    .isEmpty();
        }

        @Test
        void resetIsReadOnlyForOpenAi() {
            assertThat(read(
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "1s",
                            "x-ratelimit-remaining-tokens",
                            "0",
                            "x-ratelimit-reset-tokens",
                            "2s"))
                    .isEmpty();
        }
    }

    @Nested
    class Precedence {
        private final Map<String, String> all = Map.of(
                "retry-after-ms", "1500",
                "Retry-After", "7",
                "x-ratelimit-remaining-requests", "0",
                "x-ratelimit-reset-requests", "20s");

        @Test
        void retryAfterMsBeatsRetryAfterAndTheReset() {
            assertThat(OpenAiRules.INSTANCE.hint(hints, TestHead.of(429, all))).contains(hint(1_500, "retry-after-ms"));
        }

        @Test
        void retryAfterMsBeatsALongerRetryAfter() {
            assertThat(read("retry-after-ms", "100", "Retry-After", "5")).contains(hint(100, "retry-after-ms"));
        }

        @Test
        void retryAfterBeatsTheReset() {
            assertThat(readOpenAi(
                            "Retry-After",
                            "7",
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "20s"))
                    .contains(hint(7_000, "retry-after"));
        }

        @Test
        void garbageRetryAfterFallsThroughToTheReset() {
            assertThat(readOpenAi(
                            "retry-after-ms",
                            "x",
                            "Retry-After",
                            "later",
                            "x-ratelimit-remaining-requests",
                            "0",
                            "x-ratelimit-reset-requests",
                            "20s"))
                    .contains(hint(20_000, "ratelimit-reset"));
        }
    }
}
