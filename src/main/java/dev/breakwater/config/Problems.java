package dev.breakwater.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Collects every problem in a document instead of stopping at the first, so one run shows all fixes needed.
 * Problems come out sorted by line (stable, so same-line problems keep the order they were found) and
 * without duplicates (an aliased node or a re-read value may report the same thing twice).
 */
final class Problems {
    private record Problem(int line, String message) {}

    private final String source;
    private final List<Problem> problems = new ArrayList<>();

    /** @param source the file name or other label that prefixes every problem */
    Problems(String source) {
        this.source = source;
    }

    /** Records {@code message} at a 1-based line; 0 means the problem has no line. */
    void add(int line, String message) {
        problems.add(new Problem(line, message));
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    ConfigException toException() {
        Set<String> lines = new LinkedHashSet<>();
        problems.stream()
                .sorted(Comparator.comparingInt(Problem::line))
                .forEach(p -> lines.add(
                        p.line() > 0 ? source + ":" + p.line() + ": " + p.message() : source + ": " + p.message()));
        return new ConfigException(List.copyOf(lines));
    }
}
