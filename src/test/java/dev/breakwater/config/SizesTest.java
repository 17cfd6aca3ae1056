package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({
        "1024, 1024",
        "0, 0",
        "512B, 512",
        "64KiB, 65536",
        "8MiB, 8388608",
        "1GiB, 1073741824",
        "1TiB, 1099511627776",
        "10KB, 10000",
        "10kB, 10000",
        "10MB, 10000000",
        "1GB, 1000000000",
        "1.5KiB, 1536",
        "'8 MiB', 8388608",
    })
    void parsesGoodSizes(String text, long expected) {
        assertThat(Sizes.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "-1 | negative size \"-1\" (sizes must be >= 0)",
                "-8MiB | negative size \"-8MiB\" (sizes must be >= 0)",
                "lots | not a size: \"lots\" (expected a byte count or e.g. 512KiB, 8MiB or 10MB)",
                "'' | not a size: \"\" (expected a byte count or e.g. 512KiB, 8MiB or 10MB)",
                "8mib | unknown unit \"mib\" in size \"8mib\" (expected B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)",
                "1.5 | size \"1.5\" is not a whole number of bytes",
                "1.0001KiB | size \"1.0001KiB\" is not a whole number of bytes",
                "99999999999TiB | size \"99999999999TiB\" is too large",
            })
    void rejectsBadSizes(String text, String message) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource({
        "0, 0B",
        "512, 512B",
        "1000, 1KB",
        "1024, 1KiB",
        "1500, 1500B",
        "65536, 64KiB",
        "8388608, 8MiB",
        "10000000, 10MB",
        "1073741824, 1GiB",
    })
    void formatsShortest(long bytes, String expected) {
        assertThat(Sizes.format(bytes)).isEqualTo(expected);
        assertThat(Sizes.parse(expected)).isEqualTo(bytes);
    }

    @org.junit.jupiter.api.Test
    void formatRejectsNegative() {
        assertThatThrownBy(() -> Sizes.format(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
