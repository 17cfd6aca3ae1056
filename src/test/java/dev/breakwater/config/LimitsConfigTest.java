package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The top-level {@code limits} section: defaults, every key, {@code auto}, and each bad value's problem. */
class LimitsConfigTest {
    private static final String ROUTE = "routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\"}\n";
    private final ConfigLoader loader = new ConfigLoader(Map.of("MAX_CONN", "500"));

    private ListenerLimits limits(String yaml) throws ConfigException {
        return loader.parse(yaml + ROUTE, "t.yaml").limits();
    }

    @Test
    void withoutTheSectionTheDefaultsApply() throws ConfigException {
        assertThat(limits("")).isEqualTo(ListenerLimits.DEFAULT);
        assertThat(limits("limits:\n")).isEqualTo(ListenerLimits.DEFAULT);
        assertThat(ListenerLimits.DEFAULT)
                .isEqualTo(new ListenerLimits(
                        OptionalInt.empty(),
                        1024,
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(10),
                        OptionalLong.empty()));
    }

    @Test
    void readsEveryKey() throws ConfigException {
        ListenerLimits limits = limits("""
                limits:
                  max-connections: ${MAX_CONN}
                  max-connections-per-client: 16
                  idle-timeout: 2m
                  header-read-timeout: 500ms
                  max-buffered-bodies: 256MiB
                """);

        assertThat(limits)
                .isEqualTo(new ListenerLimits(
                        OptionalInt.of(500),
                        16,
                        Duration.ofMinutes(2),
                        Duration.ofMillis(500),
                        OptionalLong.of(256L << 20)));
    }

    @Test
    void autoMeansTheComputedDefault() throws ConfigException {
        ListenerLimits limits = limits("limits: {max-connections: auto, max-buffered-bodies: AUTO}\n");

        assertThat(limits.maxConnections()).isEmpty();
        assertThat(limits.maxBufferedBodies()).isEmpty();
        assertThat(limits.effectiveMaxConnections(65536)).isEqualTo((65536 - 512) / 2);
        assertThat(limits.effectiveMaxBufferedBodies(4L << 30)).isEqualTo(1L << 30);
    }

    @Test
    void theSmallestValuesAreAccepted() throws ConfigException {
        ListenerLimits limits = limits("limits: {max-connections: 1, max-connections-per-client: 1, "
                + "idle-timeout: 1ms, header-read-timeout: 1ms, max-buffered-bodies: 1KiB}\n");

        assertThat(limits)
                .isEqualTo(new ListenerLimits(
                        OptionalInt.of(1), 1, Duration.ofMillis(1), Duration.ofMillis(1), OptionalLong.of(1024)));
    }

    static Stream<Arguments> badLimits() {
        return Stream.of(
                Arguments.of("limits:\n  max-connections: 0\n", "t.yaml:2: limits.max-connections: 0 (expected: >= 1)"),
                Arguments.of(
                        "limits:\n  max-connections: lots\n",
                        "t.yaml:2: limits.max-connections: lots (expected: an integer >= 1, or auto)"),
                Arguments.of(
                        "limits:\n  max-connections: 99999999999\n",
                        "t.yaml:2: limits.max-connections: 99999999999 (expected: <= 2147483647)"),
                Arguments.of(
                        "limits:\n  max-connections-per-client: 0\n",
                        "t.yaml:2: limits.max-connections-per-client: 0 (expected: >= 1)"),
                Arguments.of(
                        "limits:\n  max-connections-per-client: auto\n",
                        "t.yaml:2: limits.max-connections-per-client: auto (expected: an integer)"),
                Arguments.of("limits:\n  idle-timeout: 0\n", "t.yaml:2: limits.idle-timeout: 0 (expected: > 0)"),
                Arguments.of(
                        "limits:\n  header-read-timeout: 10\n",
                        "t.yaml:2: limits.header-read-timeout: 10 (expected: a duration with a unit, such as 250ms, 30s or 2m)"),
                Arguments.of(
                        "limits:\n  header-read-timeout: -1s\n",
                        "t.yaml:2: limits.header-read-timeout: -1s (expected: > 0)"),
                Arguments.of(
                        "limits:\n  max-buffered-bodies: 1023\n",
                        "t.yaml:2: limits.max-buffered-bodies: 1023 (expected: >= 1KiB)"),
                Arguments.of(
                        "limits:\n  max-buffered-bodies: -1MiB\n",
                        "t.yaml:2: limits.max-buffered-bodies: -1MiB (expected: >= 1KiB)"),
                Arguments.of(
                        "limits:\n  max-buffered-bodies: lots\n",
                        "t.yaml:2: limits.max-buffered-bodies: lots (expected: a size such as 64MiB or 1GiB, or auto)"),
                Arguments.of(
                        "limits:\n  max-conections: 10\n",
                        "t.yaml:2: limits.max-conections: unknown key (expected one of: max-connections, "
                                + "max-connections-per-client, idle-timeout, header-read-timeout, max-buffered-bodies)"),
                Arguments.of("limits: 10\n", "t.yaml:1: limits: 10 (expected: a map)"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badLimits")
    void reportsTheProblemWithLineAndPath(String yaml, String expectedProblem) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> limits(yaml));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactly(expectedProblem);
    }

    @Test
    void reportsEveryBadKeyTogether() {
        ConfigException e = catchThrowableOfType(
                ConfigException.class, () -> limits("limits:\n  max-connections: 0\n  idle-timeout: 0\n"));

        assertThat(e.problems())
                .containsExactly(
                        "t.yaml:2: limits.max-connections: 0 (expected: >= 1)",
                        "t.yaml:3: limits.idle-timeout: 0 (expected: > 0)");
    }
}
