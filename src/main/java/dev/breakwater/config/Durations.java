package dev.breakwater.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes the duration syntax of Breakwater's configuration: a non-negative number and a unit,
 * such as {@code 250ms}, {@code 30s}, {@code 1.5s}, {@code 2m} or {@code 1h}. Only zero may omit the unit,
 * because a bare {@code 500} is ambiguous (milliseconds? seconds?) and a wrong guess is a silent outage.
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)");
    private static final long NANOS_PER_MS = 1_000_000L;

    /** Units from largest to smallest; {@link #format} prefers the earlier one on a tie. */
    private static final Map<String, BigDecimal> UNIT_NANOS = Map.of(
            "h", BigDecimal.valueOf(3_600_000 * NANOS_PER_MS),
            "m", BigDecimal.valueOf(60_000 * NANOS_PER_MS),
            "s", BigDecimal.valueOf(1_000 * NANOS_PER_MS),
            "ms", BigDecimal.valueOf(NANOS_PER_MS));

    private static final String[] UNITS = {"h", "m", "s", "ms"};

    private Durations() {}

    /**
     * Parses a duration.
     *
     * @param text such as {@code 250ms}, {@code 30s}, {@code 1.5s}, {@code 2m}, {@code 1h}, {@code 0s} or {@code 0}
     * @return the duration, never negative
     * @throws IllegalArgumentException if the text is negative, has no unit (other than {@code 0}), has an
     *     unknown unit, is finer than a nanosecond or is not a duration at all
     */
    public static Duration parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty duration (expected e.g. 250ms, 30s or 2m)");
        }
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("negative duration \"" + text + "\" (durations must be >= 0)");
        }
        Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a duration: \"" + text + "\" (expected a number and a unit, e.g. 250ms, 30s or 2m)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String unit = m.group(2);
        if (unit.isEmpty()) {
            if (number.signum() == 0) {
                return Duration.ZERO;
            }
            throw new IllegalArgumentException("duration \"" + text + "\" has no unit (expected e.g. " + m.group(1)
                    + "ms or " + m.group(1) + "s; only 0 may omit the unit)");
        }
        BigDecimal perUnit = UNIT_NANOS.get(unit);
        if (perUnit == null) {
            throw new IllegalArgumentException(
                    "unknown unit \"" + unit + "\" in duration \"" + text + "\" (expected ms, s, m or h)");
        }
        BigDecimal nanos = number.multiply(perUnit);
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("duration \"" + text + "\" is finer than a nanosecond");
        }
        try {
            return Duration.ofNanos(nanos.longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration \"" + text + "\" is too long", e);
        }
    }

    /**
     * Writes a duration in the shortest form {@link #parse} reads back to the same value: {@code 0},
     * {@code 500ms}, {@code 1.5s}, {@code 90s}, {@code 10m}, {@code 1h}. Forms below one unit (like
     * {@code 0.5s}) are avoided because they read worse than the smaller unit ({@code 500ms}); only
     * sub-millisecond values use a fraction of a millisecond.
     */
    public static String format(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        if (duration.isZero()) {
            return "0";
        }
        BigDecimal nanos =
                new BigDecimal(duration.getSeconds()).movePointRight(9).add(BigDecimal.valueOf(duration.getNano()));
        String best = null;
        boolean bestWhole = false;
        for (String unit : UNITS) {
            BigDecimal amount;
            try {
                amount = nanos.divide(UNIT_NANOS.get(unit)).stripTrailingZeros();
            } catch (ArithmeticException nonTerminating) {
                continue; // e.g. 1s in hours: no exact decimal form
            }
            if (amount.compareTo(BigDecimal.ONE) < 0 && !unit.equals("ms")) {
                continue;
            }
            String candidate = amount.toPlainString() + unit;
            boolean whole = amount.scale() <= 0;
            boolean better = best == null
                    || candidate.length() < best.length()
                    || (candidate.length() == best.length() && whole && !bestWhole);
            if (better) {
                best = candidate;
                bestWhole = whole;
            }
        }
        return best;
    }
}
