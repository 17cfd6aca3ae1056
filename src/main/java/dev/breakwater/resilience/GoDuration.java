package dev.breakwater.resilience;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.OptionalLong;

/**
 * Parses Go-style durations as OpenAI sends them in {@code x-ratelimit-reset-*}: {@code 20ms}, {@code 1s},
 * {@code 1.5s}, {@code 6m0s}, {@code 1h2m3.5s}. Anything else is not a duration.
 */
final class GoDuration {
    private static final BigDecimal NANOSECOND = new BigDecimal("0.000001");
    private static final BigDecimal MICROSECOND = new BigDecimal("0.001");
    private static final BigDecimal SECOND = BigDecimal.valueOf(1_000);
    private static final BigDecimal MINUTE = BigDecimal.valueOf(60_000);
    private static final BigDecimal HOUR = BigDecimal.valueOf(3_600_000);
    private static final BigDecimal MAX_MILLIS = BigDecimal.valueOf(Long.MAX_VALUE / 4);

    private GoDuration() {}

    /** The duration in whole milliseconds (rounded up), or empty for garbage, negative or absurd values. */
    static OptionalLong toMillis(String text) {
        if (text == null) {
            return OptionalLong.empty();
        }
        String s = text.trim();
        if (s.isEmpty()) {
            return OptionalLong.empty();
        }
        if (s.equals("0")) {
            return OptionalLong.of(0);
        }
        // Exact decimal arithmetic: in doubles 2.007s is 2007.0000000000002 ms, which would round up to 2008.
        BigDecimal totalMillis = BigDecimal.ZERO;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && isNumberChar(s.charAt(i))) {
                i++;
            }
            if (start == i) {
                return OptionalLong.empty();
            }
            BigDecimal number;
            try {
                number = new BigDecimal(s.substring(start, i));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
            int unitStart = i;
            while (i < s.length() && !isNumberChar(s.charAt(i))) {
                i++;
            }
            BigDecimal unitMillis = switch (s.substring(unitStart, i)) {
                case "ns" -> NANOSECOND;
                case "us", "\u00b5s", "\u03bcs" -> MICROSECOND;
                case "ms" -> BigDecimal.ONE;
                case "s" -> SECOND;
                case "m" -> MINUTE;
                case "h" -> HOUR;
                default -> null;
            };
            if (unitMillis == null) {
                return OptionalLong.empty();
            }
            totalMillis = totalMillis.add(number.multiply(unitMillis));
        }
        BigDecimal millis = totalMillis.setScale(0, RoundingMode.CEILING);
        if (millis.compareTo(MAX_MILLIS) > 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(millis.longValueExact());
    }

    /** ASCII digits and the decimal point only: {@link BigDecimal} would also take other scripts' digits. */
    private static boolean isNumberChar(char c) {
        return c >= '0' && c <= '9' || c == '.';
    }
}
