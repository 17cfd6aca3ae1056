package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Samples;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Header hints come from any upstream, so their parsers must take anything: they never throw, never yield a
 * negative wait, and read the documented forms back exactly.
 */
class HeaderHintsPropertiesTest {
    /** A quarter second past a whole second, so dates give exact, non-round millis. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00.250Z"), ZoneOffset.UTC);

    private static final String[] HEADERS = {
        "retry-after-ms",
        "retry-after",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens"
    };

    private final ServerHints hints = new ServerHints(CLOCK);

    /** Arbitrary text, biased toward the characters the parsers look at. */
    private static String headerValue(Random random) {
        return random.nextBoolean()
                ? Samples.anyText(random, 40)
                : Samples.textOf(random, "0123456789.-+eE hmsu\u00b5\u03bcnNaIfinityx:,GMT", 30);
    }

    @Test
    void goDurationNeverThrowsNorGoesNegative() {
        Samples.check(11, 1000, HeaderHintsPropertiesTest::headerValue, value -> {
            OptionalLong millis = GoDuration.toMillis(value);
            millis.ifPresent(ms -> assertThat(ms).isNotNegative());
        });
    }

    @Test
    void goDurationReadsItsOwnFormsBack() {
        Samples.check(
                12,
                1000,
                random -> new int[] {random.nextInt(100), random.nextInt(60), random.nextInt(60), random.nextInt(1000)},
                parts -> {
                    int hours = parts[0];
                    int minutes = parts[1];
                    int seconds = parts[2];
                    int millis = parts[3];
                    String text = (hours > 0 ? hours + "h" : "") + (hours > 0 || minutes > 0 ? minutes + "m" : "")
                            + seconds + "." + String.format("%03d", millis) + "s";
                    long expected = ((hours * 60L + minutes) * 60 + seconds) * 1000 + millis;

                    assertThat(GoDuration.toMillis(text)).as(text).hasValue(expected);
                    assertThat(GoDuration.toMillis(expected + "ms")).hasValue(expected);
                });
    }

    @Test
    void retryAfterMsNeverThrowsNorGoesNegative() {
        Samples.check(
                13,
                1000,
                HeaderHintsPropertiesTest::headerValue,
                value -> ServerHints.retryAfterMs(value)
                        .ifPresent(ms -> assertThat(ms).isNotNegative()));
    }

    @Test
    void retryAfterMsReadsWholeAndFractionalMillisBack() {
        Samples.check(
                14,
                500,
                random -> new long[] {Samples.between(random, 0, 10_000_000_000L), random.nextInt(10)},
                sample -> {
                    long millis = sample[0];
                    long tenth = sample[1];
                    assertThat(ServerHints.retryAfterMs(Long.toString(millis))).hasValue(millis);
                    assertThat(ServerHints.retryAfterMs(millis + "." + tenth))
                            .hasValue(tenth == 0 ? millis : millis + 1);
                });
    }

    @Test
    void retryAfterNeverThrowsNorGoesNegative() {
        Samples.check(
                15,
                1000,
                HeaderHintsPropertiesTest::headerValue,
                value -> hints.retryAfter(value).ifPresent(ms -> assertThat(ms).isNotNegative()));
    }

    @Test
    void retryAfterReadsSecondsAndHttpDatesBack() {
        Samples.check(16, 500, random -> Samples.between(random, 1, 10_000_000), seconds -> {
            assertThat(hints.retryAfter(Long.toString(seconds))).hasValue(seconds * 1000);
            String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    Instant.parse("2025-01-01T00:00:00Z").plusSeconds(seconds).atOffset(ZoneOffset.UTC));
            assertThat(hints.retryAfter(date)).hasValue(seconds * 1000 - 250);
        });
    }

    /** asctime dates allow years of up to 19 digits; the weekday is right, so only the year can break things. */
    private static String asctimeDate(Random random) {
        int year = (int) Samples.between(random, 1, 999_999_999);
        int month = 1 + random.nextInt(12);
        int day = 1 + random.nextInt(28);
        LocalDate date = LocalDate.of(year, month, day);
        DayOfWeek weekday = date.getDayOfWeek();
        return weekday.getDisplayName(TextStyle.SHORT, Locale.US) + " "
                + date.getMonth().getDisplayName(TextStyle.SHORT, Locale.US) + " "
                + String.format("%2d", day) + " 08:49:37 " + year;
    }

    @Test
    void retryAfterTakesAsctimeDatesOfAnyYear() {
        Samples.check(
                17,
                500,
                HeaderHintsPropertiesTest::asctimeDate,
                date -> hints.retryAfter(date).ifPresent(ms -> assertThat(ms).isPositive()));
    }

    @Test
    void aWholeHeadNeverThrowsNorGivesANegativeWait() {
        Samples.check(
                18,
                1000,
                random -> {
                    String[] namesAndValues = new String[HEADERS.length * 2];
                    for (int i = 0; i < HEADERS.length; i++) {
                        String value = headerValue(random);
                        namesAndValues[2 * i] = HEADERS[i];
                        // "0" often enough to reach the reset headers behind the remaining-* check
                        namesAndValues[2 * i + 1] =
                                HEADERS[i].contains("remaining") && value.length() % 2 == 0 ? "0" : value;
                    }
                    return namesAndValues;
                },
                namesAndValues -> {
                    OpenAiRules.INSTANCE
                            .hint(hints, TestHead.of(429, namesAndValues))
                            .ifPresent(hint -> assertThat(hint.millis()).isNotNegative());
                    hints.read(TestHead.of(429, namesAndValues))
                            .ifPresent(hint -> assertThat(hint.millis()).isNotNegative());
                });
    }
}
