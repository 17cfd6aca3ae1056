package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The top-level {@code fleet} section and the route's {@code rate-limit} section. */
class FleetAndRateLimitConfigTest {
    private static final String ROUTE = "routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\"}\n";
    private final ConfigLoader loader = new ConfigLoader(Map.of("REDIS_URL", "redis://:s3cret@cache:6380/2"));

    private BreakwaterConfig parse(String yaml) throws ConfigException {
        return loader.parse(yaml, "t.yaml");
    }

    private String problem(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void withoutFleetNothingIsShared() throws ConfigException {
        assertThat(parse(ROUTE).fleet()).isEmpty();
    }

    @Test
    void readsTheFleetWithItsDefaultsAndThePasswordFromTheUrl() throws ConfigException {
        FleetSpec fleet =
                parse("fleet: {redis: \"${REDIS_URL}\"}\n" + ROUTE).fleet().orElseThrow();

        assertThat(fleet.host()).isEqualTo("cache");
        assertThat(fleet.port()).isEqualTo(6380);
        assertThat(fleet.database()).isEqualTo(2);
        assertThat(fleet.password()).hasValue("s3cret");
        assertThat(fleet.keyPrefix()).isEqualTo("breakwater");
        assertThat(fleet.fallbackShare()).isEmpty();
        assertThat(fleet.timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(fleet.toString()).doesNotContain("s3cret");
    }

    @Test
    void readsEveryFleetKey() throws ConfigException {
        FleetSpec fleet = parse("""
                fleet:
                  redis: rediss://redis.internal
                  key-prefix: team-a
                  password: pw
                  share-breakers: true
                  fallback-share: 1/4
                  timeout: 20ms
                """ + ROUTE).fleet().orElseThrow();

        assertThat(fleet.tls()).isTrue();
        assertThat(fleet.port()).isEqualTo(6379);
        assertThat(fleet.keyPrefix()).isEqualTo("team-a");
        assertThat(fleet.password()).hasValue("pw");
        assertThat(fleet.shareBreakers()).isTrue();
        assertThat(fleet.fallbackShare()).hasValue(0.25);
        assertThat(fleet.timeout()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void aBadRedisUrlIsReportedWithoutShowingIt() {
        String message = problem("fleet: {redis: \"http://:hunter2@cache:6379\"}\n" + ROUTE);

        assertThat(message)
                .contains("t.yaml:1: fleet.redis: a value not shown here")
                .doesNotContain("hunter2");
    }

    @Test
    void aShareMustBeAFractionOfTheBudget() {
        assertThat(problem("fleet: {redis: \"redis://r\", fallback-share: 3/2}\n" + ROUTE))
                .contains("fleet.fallback-share: 3/2 (expected: a share of the budget such as 1/3 or 0.5");
        assertThat(problem("fleet:\n  key-prefix: x\n" + ROUTE))
                .contains("fleet.redis: missing (expected: a URL such as redis://host:6379");
    }

    @Test
    void rateLimitDefaultsPaceLlmProvidersOnly() throws ConfigException {
        RateLimitSpec spec = parse(ROUTE).routes().get(0).rateLimit();

        assertThat(spec).isEqualTo(RateLimitSpec.DEFAULT);
        assertThat(spec.pacingFor(Provider.GENERIC)).isFalse();
        assertThat(spec.pacingFor(Provider.OPENAI)).isTrue();
        assertThat(spec.pacingFor(Provider.ANTHROPIC)).isTrue();
    }

    @Test
    void readsEveryRateLimitKeyAndInheritsFromDefaults() throws ConfigException {
        RateLimitSpec spec = parse("""
                defaults:
                  rate-limit: {headroom: 10%, priority: low}
                routes:
                  - name: a
                    path-prefix: /
                    upstream: http://a
                    rate-limit: {pacing: true, default-completion-tokens: 256, max-queued: 50}
                """).routes().get(0).rateLimit();

        assertThat(spec).isEqualTo(new RateLimitSpec(Optional.of(true), 10, 256, 50, Priority.LOW));
    }

    @Test
    void badRateLimitValuesNameTheirPath() {
        assertThat(
                        problem(
                                "routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\", rate-limit: {headroom: 80%}}\n"))
                .contains("routes[a].rate-limit.headroom: 80% (expected: <= 50)");
        assertThat(
                        problem(
                                "routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\", rate-limit: {priority: urgent}}\n"))
                .contains("routes[a].rate-limit.priority: urgent (expected: one of: high, normal, low)");
    }
}
