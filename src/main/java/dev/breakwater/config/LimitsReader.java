package dev.breakwater.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Reads the top-level {@code limits} section into {@link ListenerLimits}; each key left out keeps its default. */
final class LimitsReader {
    static final List<String> KEYS = List.of(
            "max-connections",
            "max-connections-per-client",
            "idle-timeout",
            "header-read-timeout",
            "max-buffered-bodies");

    private static final String AUTO = "auto";
    private static final String CONNECTIONS = "an integer >= 1, or auto";
    private static final String BODIES = "a size such as 64MiB or 1GiB, or auto";
    /** Less than one small request body would make every body stream without replay: surely a typo. */
    private static final long MIN_BODIES = 1024;

    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");
    private static final ValueReader<Integer> AT_LEAST_ONE = Readers.integer(Bound.atLeast("1"));
    private static final ValueReader<Duration> POSITIVE = Readers.duration(true);

    private LimitsReader() {}

    /** The limits, or empty when any key is bad (each problem has been reported). */
    static Optional<ListenerLimits> read(YamlValue value) {
        Optional<YamlSection> maybe = value.section(KEYS);
        if (maybe.isEmpty()) {
            return Optional.empty();
        }
        YamlSection section = maybe.get();
        ListenerLimits d = ListenerLimits.DEFAULT;
        Optional<OptionalInt> connections =
                section.get("max-connections").map(LimitsReader::connections).orElse(Optional.of(d.maxConnections()));
        Optional<Integer> perClient = section.get("max-connections-per-client")
                .map(AT_LEAST_ONE::read)
                .orElse(Optional.of(d.maxConnectionsPerClient()));
        Optional<Duration> idle =
                section.get("idle-timeout").map(POSITIVE::read).orElse(Optional.of(d.idleTimeout()));
        Optional<Duration> headerRead =
                section.get("header-read-timeout").map(POSITIVE::read).orElse(Optional.of(d.headerReadTimeout()));
        Optional<OptionalLong> bodies =
                section.get("max-buffered-bodies").map(LimitsReader::bodies).orElse(Optional.of(d.maxBufferedBodies()));
        if (connections.isEmpty()
                || perClient.isEmpty()
                || idle.isEmpty()
                || headerRead.isEmpty()
                || bodies.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new ListenerLimits(connections.get(), perClient.get(), idle.get(), headerRead.get(), bodies.get()));
    }

    private static Optional<OptionalInt> connections(YamlValue v) {
        return v.text(CONNECTIONS).flatMap(t -> {
            if (isAuto(t)) {
                return Optional.of(OptionalInt.empty());
            }
            if (!INTEGER.matcher(t).matches()) {
                v.reject(CONNECTIONS);
                return Optional.empty();
            }
            return AT_LEAST_ONE.read(v).map(OptionalInt::of);
        });
    }

    private static Optional<OptionalLong> bodies(YamlValue v) {
        return v.text(BODIES).flatMap(t -> {
            if (isAuto(t)) {
                return Optional.of(OptionalLong.empty());
            }
            long bytes;
            try {
                bytes = Sizes.parse(t);
            } catch (IllegalArgumentException e) {
                v.reject(t.startsWith("-") ? ">= 1KiB" : BODIES);
                return Optional.empty();
            }
            if (bytes < MIN_BODIES) {
                v.reject(">= 1KiB");
                return Optional.empty();
            }
            return Optional.of(OptionalLong.of(bytes));
        });
    }

    private static boolean isAuto(String text) {
        return text.toLowerCase(Locale.ROOT).equals(AUTO);
    }
}
