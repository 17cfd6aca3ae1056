package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code stream} section, inherited from {@code defaults} key by key. */
class StreamConfigTest {
    private final ConfigLoader loader = new ConfigLoader(Map.of());

    private RouteSpec route(String yaml) throws ConfigException {
        return loader.parse(yaml, "t.yaml").routes().get(0);
    }

    @Test
    void defaultsHoldForTheFirstEventAndTakeTheIdleTimeoutFromTimeouts() throws ConfigException {
        RouteSpec route = route("""
                defaults: {timeouts: {idle: 7s}}
                routes:
                  - {name: a, path-prefix: /, upstream: "http://a"}
                """);

        assertThat(route.stream()).isEqualTo(StreamSpec.DEFAULT);
        assertThat(route.stream().idleTimeout(route.timeouts())).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void aRouteOverridesTheDefaultsKeyByKey() throws ConfigException {
        RouteSpec route = route("""
                defaults:
                  stream: {first-event-timeout: 30s, max-held: 8KiB}
                routes:
                  - name: a
                    path-prefix: /
                    upstream: "http://a"
                    stream: {idle-timeout: 0, commit-on-first-event: false}
                """);

        assertThat(route.stream())
                .isEqualTo(new StreamSpec(false, Duration.ofSeconds(30), Optional.of(Duration.ZERO), 8 * 1024));
    }

    @Test
    void aBadValueNamesItsPath() {
        String message =
                catchThrowableOfType(ConfigException.class, () -> route("""
                                routes:
                                  - name: a
                                    path-prefix: /
                                    upstream: "http://a"
                                    stream: {first-event-timeout: soon, hold: 1}
                                """)).getMessage();

        assertThat(message)
                .contains("t.yaml:5: routes[a].stream.first-event-timeout: soon")
                .contains("routes[a].stream.hold: unknown key");
    }
}
