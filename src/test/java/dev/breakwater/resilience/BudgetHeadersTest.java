package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetHeadersTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    private final ServerHints hints = new ServerHints(CLOCK);

    @ParameterizedTest
    @CsvSource({
        "1.234s, 1234", // OpenAI's Go durations
        "6m0s, 360000",
        "20ms, 20",
        "0s, 1",
        "2, 2000", // bare seconds, as some compatible servers write them
        "0.5, 500",
        "1767225602, 2000", // epoch seconds
        "2026-01-01T00:00:03Z, 3000", // an RFC 3339 time
        "soon, -1",
        "-3, -1",
        "1767225500, -1" // epoch seconds in the past
    })
    void readsTheResetsServersWrite(String value, long millis) {
        assertThat(BudgetHeaders.reset(hints, value)).isEqualTo(millis);
    }

    @Test
    void readsOpenAisSixHeaders() {
        ResponseHead head = TestHead.of(
                200,
                "x-ratelimit-limit-requests",
                "500",
                "x-ratelimit-remaining-requests",
                "499",
                "x-ratelimit-reset-requests",
                "120ms",
                "x-ratelimit-limit-tokens",
                "30000",
                "x-ratelimit-remaining-tokens",
                "29950",
                "x-ratelimit-reset-tokens",
                "100ms");

        assertThat(BudgetHeaders.openAi(hints, head)).isEqualTo(new BudgetReport(500, 499, 120, 30000, 29950, 100));
    }

    @Test
    void anAnswerWithoutThemReportsNothing() {
        assertThat(BudgetHeaders.openAi(hints, TestHead.of(200))).isEqualTo(BudgetReport.NONE);
    }

    @Test
    void readsAnthropicsHeadersWithTheirTimestamps() {
        ResponseHead head = TestHead.of(
                200,
                "anthropic-ratelimit-requests-limit",
                "50",
                "anthropic-ratelimit-requests-remaining",
                "49",
                "anthropic-ratelimit-requests-reset",
                "2026-01-01T00:00:01Z",
                "anthropic-ratelimit-input-tokens-limit",
                "40000",
                "anthropic-ratelimit-input-tokens-remaining",
                "39000",
                "anthropic-ratelimit-input-tokens-reset",
                "2026-01-01T00:00:02Z");

        assertThat(BudgetHeaders.anthropic(hints, head)).isEqualTo(new BudgetReport(50, 49, 1000, 40000, 39000, 2000));
    }
}
