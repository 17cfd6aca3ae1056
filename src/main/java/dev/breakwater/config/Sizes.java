package dev.breakwater.config;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes byte sizes: a plain byte count ({@code 1024}) or a number and a unit, binary
 * ({@code 64KiB}, {@code 8MiB}, {@code 1GiB}, {@code 1TiB}) or decimal ({@code 10KB}, {@code 10MB},
 * {@code 1GB}, {@code 1TB}), or {@code 512B}. Both families exist because operators copy numbers from
 * places that use either; the unit spelling says which one is meant.
 */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)");

    /** In {@link #format}'s order of preference: binary first, larger first. */
    private static final Map<String, Long> UNITS = new LinkedHashMap<>();

    static {
        UNITS.put("TiB", 1L << 40);
        UNITS.put("GiB", 1L << 30);
        UNITS.put("MiB", 1L << 20);
        UNITS.put("KiB", 1L << 10);
        UNITS.put("TB", 1_000_000_000_000L);
        UNITS.put("GB", 1_000_000_000L);
        UNITS.put("MB", 1_000_000L);
        UNITS.put("KB", 1_000L);
        UNITS.put("kB", 1_000L);
        UNITS.put("B", 1L);
    }

    private Sizes() {}

    /**
     * Parses a size.
     *
     * @param text such as {@code 1024}, {@code 512B}, {@code 64KiB}, {@code 8MiB}, {@code 10MB} or {@code 1.5KiB}
     * @return the number of bytes, never negative
     * @throws IllegalArgumentException if the text is negative, has an unknown unit, is not a whole number of
     *     bytes, does not fit a {@code long} or is not a size at all
     */
    public static long parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.strip();
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("negative size \"" + text + "\" (sizes must be >= 0)");
        }
        Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a size: \"" + text + "\" (expected a byte count or e.g. 512KiB, 8MiB or 10MB)");
        }
        String unit = m.group(2);
        Long perUnit = unit.isEmpty() ? Long.valueOf(1) : UNITS.get(unit);
        if (perUnit == null) {
            throw new IllegalArgumentException("unknown unit \"" + unit + "\" in size \"" + text
                    + "\" (expected B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(perUnit));
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("size \"" + text + "\" is not a whole number of bytes");
        }
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size \"" + text + "\" is too large", e);
        }
    }

    /**
     * Writes a size in its shortest exact form, preferring binary units: {@code 8MiB}, {@code 10KB},
     * {@code 1500B}, {@code 0B}.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public static String format(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        String best = bytes + "B";
        for (Map.Entry<String, Long> unit : UNITS.entrySet()) {
            long perUnit = unit.getValue();
            if (bytes >= perUnit && bytes % perUnit == 0) {
                String candidate = (bytes / perUnit) + unit.getKey();
                if (candidate.length() < best.length()) {
                    best = candidate;
                }
            }
        }
        return best;
    }
}
