package dev.breakwater.testing;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Seeded random samples for property tests in plain JUnit: a fixed seed makes every run try the same inputs, and a
 * failure names the seed and the sample that broke the property.
 */
public final class Samples {
    private Samples() {}

    /** Runs {@code property} on {@code tries} samples drawn by {@code sample} from a generator seeded with {@code seed}. */
    public static <T> void check(long seed, int tries, Function<Random, T> sample, Consumer<T> property) {
        Random random = new Random(seed);
        for (int i = 0; i < tries; i++) {
            T value = sample.apply(random);
            try {
                property.accept(value);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(
                        "property failed on sample " + i + " (seed " + seed + "): " + describe(value) + "\n"
                                + e.getMessage(),
                        e);
            }
        }
    }

    /** Any text up to {@code maxLength} chars: ASCII, control characters, other planes and lone surrogates. */
    public static String anyText(Random random, int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                text.append((char) (32 + random.nextInt(95)));
            } else if (kind < 7) {
                text.append((char) random.nextInt(32));
            } else if (kind < 9) {
                text.append((char) (128 + random.nextInt(0xD800 - 128)));
            } else {
                text.appendCodePoint(
                        random.nextBoolean() ? 0x1F600 + random.nextInt(80) : 0xD800 + random.nextInt(2048));
            }
        }
        return text.toString();
    }

    /** Text up to {@code maxLength} chars drawn from {@code alphabet}. */
    public static String textOf(Random random, String alphabet, int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    /** Up to {@code maxParts} pieces from {@code parts}, joined. */
    public static String joined(Random random, List<String> parts, int maxParts) {
        int count = random.nextInt(maxParts + 1);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append(parts.get(random.nextInt(parts.size())));
        }
        return text.toString();
    }

    /** An integer in {@code [min, max]}. */
    public static long between(Random random, long min, long max) {
        return min + (long) (random.nextDouble() * (max - min + 1));
    }

    private static String describe(Object value) {
        if (value instanceof Object[] array) {
            return java.util.Arrays.toString(array);
        }
        String text = String.valueOf(value);
        StringBuilder escaped = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c < 32 || c > 126) {
                escaped.append(String.format("\\u%04x", c));
            } else {
                escaped.append((char) c);
            }
        });
        return "\"" + escaped + "\"";
    }
}
