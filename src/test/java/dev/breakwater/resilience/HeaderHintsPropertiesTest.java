package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Header hints come from any upstream, so their parsers must take anything: they never throw, never yield a
 * negative wait, and read the documented forms back exactly.
 */
class HeaderHintsPropertiesTest {
    /** A quarter second past a whole second, so dates give exact, non-round millis. */
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00.250Z"), ZoneOffset.UTC);
    private static final String[] HEADERS = {"retry-after-ms", "retry-after", "x-ratelimit-remaining-requests",
            "x-ratelimit-reset-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"};

    private final ServerHints hints = new ServerHints(CLOCK);

    /** Arbitrary text, biased toward the characters the parsers look at. */
    @Provide
    Arbitrary<String> headerValues() {
        Arbitrary<String> anyText = Arbitraries.strings().ofMaxLength(40);
        Arbitrary<String> nearMisses = Arbitraries.strings().withChars("0123456789.-+eE hmsuµμnNaIfinityx:,GMT")
                .ofMaxLength(30);
        return Arbitraries.oneOf(anyText, nearMisses);
    }

    @Property(tries = 1000)
    void goDurationNeverThrowsNorGoesNegative(@ForAll("headerValues") String value) {
        OptionalLong millis = GoDuration.toMillis(value);
        millis.ifPresent(ms -> assertThat(ms).isNotNegative());
    }

    @Property(tries = 1000)
    void goDurationReadsItsOwnFormsBack(@ForAll @IntRange(max = 99) int hours, @ForAll @IntRange(max = 59) int minutes,
            @ForAll @IntRange(max = 59) int seconds, @ForAll @IntRange(max = 999) int millis) {
        String text = (hours > 0 ? hours + "h" : "") + (hours > 0 || minutes > 0 ? minutes + "m" : "")
                + seconds + "." + String.format("%03d", millis) + "s";
        long expected = ((hours * 60L + minutes) * 60 + seconds) * 1000 + millis;

        assertThat(GoDuration.toMillis(text)).hasValue(expected);
        assertThat(GoDuration.toMillis(expected + "ms")).hasValue(expected);
    }

    @Property(tries = 1000)
    void retryAfterMsNeverThrowsNorGoesNegative(@ForAll("headerValues") String value) {
        ServerHints.retryAfterMs(value).ifPresent(ms -> assertThat(ms).isNotNegative());
    }

    @Property(tries = 500)
    void retryAfterMsReadsWholeAndFractionalMillisBack(@ForAll @LongRange(max = 10_000_000_000L) long millis,
            @ForAll @IntRange(max = 9) int tenth) {
        assertThat(ServerHints.retryAfterMs(Long.toString(millis))).hasValue(millis);
        assertThat(ServerHints.retryAfterMs(millis + "." + tenth)).hasValue(tenth == 0 ? millis : millis + 1);
    }

    @Property(tries = 1000)
    void retryAfterNeverThrowsNorGoesNegative(@ForAll("headerValues") String value) {
        hints.retryAfter(value).ifPresent(ms -> assertThat(ms).isNotNegative());
    }

    @Property(tries = 500)
    void retryAfterReadsSecondsAndHttpDatesBack(@ForAll @LongRange(min = 1, max = 10_000_000) long seconds) {
        assertThat(hints.retryAfter(Long.toString(seconds))).hasValue(seconds * 1000);
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.parse("2025-01-01T00:00:00Z").plusSeconds(seconds).atOffset(ZoneOffset.UTC));
        assertThat(hints.retryAfter(date)).hasValue(seconds * 1000 - 250);
    }

    /** asctime dates allow years of up to 19 digits; the weekday is right, so only the year can break things. */
    @Provide
    Arbitrary<String> asctimeDates() {
        return Combinators.combine(Arbitraries.integers().between(1, 999_999_999), Arbitraries.integers()
                .between(1, 12), Arbitraries.integers().between(1, 28)).as((year, month, day) -> {
                    LocalDate date = LocalDate.of(year, month, day);
                    DayOfWeek weekday = date.getDayOfWeek();
                    return weekday.getDisplayName(TextStyle.SHORT, Locale.US) + " "
                            + date.getMonth().getDisplayName(TextStyle.SHORT, Locale.US) + " "
                            + String.format("%2d", day) + " 08:49:37 " + year;
                });
    }

    @Property(tries = 500)
    void retryAfterTakesAsctimeDatesOfAnyYear(@ForAll("asctimeDates") String date) {
        hints.retryAfter(date).ifPresent(ms -> assertThat(ms).isPositive());
    }

    @Provide
    Arbitrary<String[]> heads() {
        return headerValues().array(String[].class).ofSize(HEADERS.length);
    }

    @Property(tries = 1000)
    void aWholeHeadNeverThrowsNorGivesANegativeWait(@ForAll("heads") String[] values, @ForAll boolean openai) {
        String[] namesAndValues = new String[HEADERS.length * 2];
        for (int i = 0; i < HEADERS.length; i++) {
            namesAndValues[2 * i] = HEADERS[i];
            // "0" often enough to reach the reset headers behind the remaining-* check
            namesAndValues[2 * i + 1] = HEADERS[i].contains("remaining") && values[i].length() % 2 == 0 ? "0"
                    : values[i];
        }
        hints.read(TestHead.of(429, namesAndValues), openai)
                .ifPresent(hint -> assertThat(hint.millis()).isNotNegative());
    }
}
