package dev.breakwater.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The {@link ValueReader}s for scalar and list values. Conversion works on the text after {@code ${VAR}}
 * substitution, so {@code max-attempts: ${RETRIES:-3}} works like {@code max-attempts: 3}.
 */
final class Readers {
    static final String DURATION = "a duration such as 250ms, 30s or 2m";
    static final String DURATION_WITH_UNIT = "a duration with a unit, such as 250ms, 30s or 2m";
    static final String SIZE = "a size such as 512KiB, 8MiB or 1048576";
    static final String STATUS = "an HTTP status 100-599";
    static final String METHOD = "an HTTP method such as GET or POST";

    /** An RFC 9110 token: what header names and methods are made of. */
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    private Readers() {}

    /** {@code true} or {@code false} only: YAML 1.1's {@code yes}/{@code on} are a classic source of surprises. */
    static ValueReader<Boolean> bool() {
        String expected = "true or false";
        return v -> v.text(expected).flatMap(t -> switch (t) {
            case "true", "True", "TRUE" -> Optional.of(true);
            case "false", "False", "FALSE" -> Optional.of(false);
            default -> {
                v.reject(expected);
                yield Optional.empty();
            }
        });
    }

    static ValueReader<Integer> integer(Bound... bounds) {
        return v -> v.text("an integer").flatMap(t -> {
            if (!INTEGER.matcher(t).matches()) {
                v.reject("an integer");
                return Optional.empty();
            }
            BigInteger n = new BigInteger(t);
            if (!within(v, new BigDecimal(n), bounds)) {
                return Optional.empty();
            }
            if (n.bitLength() > 31) {
                v.reject("<= " + Integer.MAX_VALUE);
                return Optional.empty();
            }
            return Optional.of(n.intValue());
        });
    }

    static ValueReader<Double> decimal(Bound... bounds) {
        return v -> v.text("a number").flatMap(t -> {
            if (!DECIMAL.matcher(t).matches()) {
                v.reject("a number");
                return Optional.empty();
            }
            BigDecimal n = new BigDecimal(t);
            return within(v, n, bounds) ? Optional.of(n.doubleValue()) : Optional.empty();
        });
    }

    /** A percentage: {@code 5%} or {@code 5}, checked against {@code bounds} as a number of percent. */
    static ValueReader<Double> percent(Bound... bounds) {
        ValueReader<Double> number = decimal(bounds);
        return v -> v.text("a percentage such as 5%").flatMap(t -> {
            String digits = t.endsWith("%") ? t.substring(0, t.length() - 1).trim() : t;
            if (!DECIMAL.matcher(digits).matches()) {
                v.reject("a percentage such as 5%");
                return Optional.empty();
            }
            return digits.equals(t)
                    ? number.read(v)
                    : within(v, new BigDecimal(digits), bounds)
                            ? Optional.of(Double.parseDouble(digits))
                            : Optional.empty();
        });
    }

    /**
     * A duration; a bare number other than 0 is refused because its unit would be a guess.
     *
     * @param positive true when 0 is not allowed
     */
    static ValueReader<Duration> duration(boolean positive) {
        String bound = positive ? "> 0" : ">= 0";
        return v -> v.text(DURATION).flatMap(t -> {
            String unsigned = t.startsWith("-") ? t.substring(1) : t;
            Duration d;
            try {
                d = Durations.parse(unsigned);
            } catch (IllegalArgumentException e) {
                v.reject(DECIMAL.matcher(unsigned).matches() ? DURATION_WITH_UNIT : DURATION);
                return Optional.empty();
            }
            if (t.startsWith("-") && !d.isZero() || positive && d.isZero()) {
                v.reject(bound);
                return Optional.empty();
            }
            return Optional.of(d);
        });
    }

    /** A size string ({@code 8MiB}) or a plain byte count. */
    static ValueReader<Long> size() {
        return v -> v.text(SIZE).flatMap(t -> {
            try {
                return Optional.of(Sizes.parse(t));
            } catch (IllegalArgumentException e) {
                boolean negative = t.startsWith("-") && parses(t.substring(1));
                v.reject(negative ? ">= 0" : SIZE);
                return Optional.empty();
            }
        });
    }

    /** A list of HTTP status codes; any bad item is reported as not a status, range or not. */
    static ValueReader<Set<Integer>> statuses() {
        return v -> eachOf(
                v,
                "a list of HTTP status codes",
                item -> item.text(STATUS).flatMap(t -> {
                    if (!INTEGER.matcher(t).matches()
                            || t.length() > 4
                            || Integer.parseInt(t) < 100
                            || Integer.parseInt(t) > 599) {
                        item.reject(STATUS);
                        return Optional.empty();
                    }
                    return Optional.of(Integer.parseInt(t));
                }));
    }

    /** A list of HTTP methods, normalised to upper case as methods are case-sensitive on the wire. */
    static ValueReader<Set<String>> methods() {
        return v -> eachOf(
                v,
                "a list of HTTP methods",
                item -> item.text(METHOD).flatMap(t -> {
                    if (!TOKEN.matcher(t).matches()) {
                        item.reject(METHOD);
                        return Optional.empty();
                    }
                    return Optional.of(t.toUpperCase(Locale.ROOT));
                }));
    }

    /** One of a fixed set of names, matched ignoring case; the message lists them in declaration order. */
    static <E extends Enum<E>> ValueReader<E> oneOf(E[] values, Function<E, String> yamlName) {
        List<String> names = Arrays.stream(values).map(yamlName).toList();
        String expected =
                names.size() == 2 ? names.get(0) + " or " + names.get(1) : "one of: " + String.join(", ", names);
        return v -> v.text(expected).flatMap(t -> {
            Optional<E> match = Arrays.stream(values)
                    .filter(e -> yamlName.apply(e).equalsIgnoreCase(t))
                    .findFirst();
            if (match.isEmpty()) {
                v.reject(expected);
            }
            return match;
        });
    }

    /** Reads every item (so every bad item is reported) and yields the set only if all were good. */
    private static <T> Optional<Set<T>> eachOf(YamlValue v, String expected, ValueReader<T> itemReader) {
        return v.list(expected).flatMap(items -> {
            Set<T> result = new LinkedHashSet<>();
            boolean ok = true;
            for (YamlValue item : items) {
                Optional<T> value = itemReader.read(item);
                ok &= value.isPresent();
                value.ifPresent(result::add);
            }
            return ok ? Optional.of(result) : Optional.empty();
        });
    }

    private static boolean within(YamlValue v, BigDecimal n, Bound... bounds) {
        for (Bound bound : bounds) {
            if (!bound.admits(n)) {
                v.reject(bound.toString());
                return false;
            }
        }
        return true;
    }

    private static boolean parses(String size) {
        try {
            Sizes.parse(size);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
