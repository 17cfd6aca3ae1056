package dev.breakwater.proxy;

import io.netty.util.AsciiString;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A small, fixed set of header names matched case-insensitively without allocating: headers are copied for every
 * request, and lower-casing each name that arrives capitalised ({@code Content-Type}) made a new string each time.
 * A linear scan that compares lengths first is as fast as hashing for the dozen names these sets hold.
 */
final class HeaderNames {
    static final HeaderNames NONE = new HeaderNames();

    private final String[] names;

    private HeaderNames(String... names) {
        this.names = Arrays.stream(names)
                .map(name -> name.toLowerCase(Locale.ROOT))
                .distinct()
                .toArray(String[]::new);
    }

    static HeaderNames of(String... names) {
        return new HeaderNames(names);
    }

    /** Runs {@code action} on each name, lower case. */
    void forEach(Consumer<String> action) {
        for (String name : names) {
            action.accept(name);
        }
    }

    /** True when {@code name} is in the set, in any case. */
    boolean contains(CharSequence name) {
        int length = name.length();
        for (String candidate : names) {
            if (candidate.length() == length && AsciiString.contentEqualsIgnoreCase(candidate, name)) {
                return true;
            }
        }
        return false;
    }
}
