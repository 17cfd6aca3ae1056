package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "250ms, PT0.25S",
        "30s, PT30S",
        "2m, PT2M",
        "1h, PT1H",
        "1.5s, PT1.5S",
        "0, PT0S",
        "0s, PT0S",
        "0.0, PT0S",
        "10m, PT10M",
        "0.5ms, PT0.0005S",
        "' 30s ', PT30S",
    })
    void parsesGoodDurations(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "-5s | negative duration \"-5s\" (durations must be >= 0)",
                "500 | duration \"500\" has no unit (expected e.g. 500ms or 500s; only 0 may omit the unit)",
                "5d | unknown unit \"d\" in duration \"5d\" (expected ms, s, m or h)",
                "30S | unknown unit \"S\" in duration \"30S\" (expected ms, s, m or h)",
                "abc | not a duration: \"abc\" (expected a number and a unit, e.g. 250ms, 30s or 2m)",
                "1.s | not a duration: \"1.s\" (expected a number and a unit, e.g. 250ms, 30s or 2m)",
                "'' | empty duration (expected e.g. 250ms, 30s or 2m)",
                "0.0000001ms | duration \"0.0000001ms\" is finer than a nanosecond",
                "999999999999h | duration \"999999999999h\" is too long",
            })
    void rejectsBadDurations(String text, String message) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource({
        "PT0S, 0",
        "PT0.25S, 250ms",
        "PT0.5S, 500ms",
        "PT1.5S, 1.5s",
        "PT30S, 30s",
        "PT90S, 90s",
        "PT1M, 1m",
        "PT2M, 2m",
        "PT10M, 10m",
        "PT1H, 1h",
        "PT2H30M, 150m",
        "PT0.0005S, 0.5ms",
        "PT0.001S, 1ms",
        "PT1.25S, 1.25s",
    })
    void formatsShortest(Duration duration, String expected) {
        assertThat(Durations.format(duration)).isEqualTo(expected);
        assertThat(Durations.parse(expected)).isEqualTo(duration);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PT0.001234567S", "PT59M59.999S", "PT123H", "PT0.000000001S"})
    void formatRoundTrips(String iso) {
        Duration d = Duration.parse(iso);
        assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    }
}
