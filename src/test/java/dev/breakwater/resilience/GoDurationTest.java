package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({
        "20ms, 20",
        "1s, 1000",
        "1.5s, 1500",
        "6m0s, 360000",
        "1h2m3.5s, 3723500",
        "0, 0",
        "0s, 0",
        "250us, 1",
        "250\u00b5s, 1",
        "250\u03bcs, 1",
        "1500000ns, 2",
        "2000000ns, 2",
        "59m59.999s, 3599999",
        "1h, 3600000",
        "0.5ms, 1",
        "' 1s ', 1000",
    })
    void goDurationsAreReadInWholeMillisecondsRoundedUp(String text, long millis) {
        assertThat(GoDuration.toMillis(text)).hasValue(millis);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2.007s", "2.011s", "0.017m", "0.134m", "1.1s"})
    void decimalFractionsAreExactNotRoundedUpByFloatingPointNoise(String text) {
        long expected = new java.math.BigDecimal(text.substring(0, text.length() - 1))
                .multiply(java.math.BigDecimal.valueOf(text.endsWith("m") ? 60_000 : 1_000))
                .longValueExact();

        assertThat(GoDuration.toMillis(text)).hasValue(expected);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @NullSource
    @ValueSource(
            strings = {
                "",
                " ",
                "abc",
                "1x",
                "-1s",
                "+1s",
                "1.2.3s",
                "s",
                "ms",
                "1",
                "20",
                "00",
                ".s",
                "1 s",
                "1s2",
                "1e3s",
                "1sms",
                "NaN",
                "Infinity",
                "1d"
            })
    void garbageIsNotADuration(String text) {
        assertThat(GoDuration.toMillis(text)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"9999999999999999999h", "100000000000000000000000000000s", "2562047788015215h30m"})
    void absurdlyLargeDurationsAreNotDurations(String text) {
        assertThat(GoDuration.toMillis(text)).isEmpty();
    }

    @Test
    void hugeDigitStringsDoNotOverflowIntoAValue() {
        assertThat(GoDuration.toMillis("9".repeat(400) + "ms")).isEmpty();
    }
}
