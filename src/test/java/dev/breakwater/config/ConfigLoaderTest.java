package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    /** The contract from the configuration issue: it must keep loading. */
    static final String CONTRACT = """
            listen: 127.0.0.1:8080
            admin: 127.0.0.1:9901
            defaults:
              timeouts: {connect: 5s, response: 120s, idle: 60s, total: 10m}
              retry:
                max-attempts: 3
                wait-duration: 500ms
                exponential-backoff-multiplier: 2.0
                exponential-max-wait-duration: 20s
                randomized-wait-factor: 0.5
                retry-on-status: [408, 429, 500, 502, 503, 504]
                retry-methods: [GET, HEAD, OPTIONS, PUT, DELETE]
                max-retry-after: 60s
                max-replay-body: 8MiB
              circuit-breaker:
                failure-rate-threshold: 50
                sliding-window-type: COUNT_BASED
                sliding-window-size: 100
                minimum-number-of-calls: 40
                wait-duration-in-open-state: 30s
                permitted-number-of-calls-in-half-open-state: 20
                slow-call-rate-threshold: 100
                slow-call-duration-threshold: 10m
            routes:
              - name: openai
                path-prefix: /v1/
                upstream: https://api.openai.com
                provider: openai
                headers: {Authorization: "Bearer ${OPENAI_API_KEY}"}
                retry: {retry-methods: [GET, POST], max-attempts: 4}
              - name: policy-tool
                path-prefix: /tools/policy/
                upstream: http://127.0.0.1:8081
                strip-prefix: true
            """;

    static final TimeoutSpec BUILTIN_TIMEOUTS = new TimeoutSpec(
            Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ofMinutes(10));
    static final RetrySpec BUILTIN_RETRY = new RetrySpec(
            3,
            Duration.ofMillis(500),
            2.0,
            Duration.ofSeconds(20),
            0.5,
            Set.of(408, 429, 500, 502, 503, 504),
            Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
            Duration.ofSeconds(60),
            8L * 1024 * 1024,
            true,
            true);
    static final CircuitBreakerSpec BUILTIN_BREAKER = new CircuitBreakerSpec(
            true,
            50f,
            SlidingWindowType.COUNT_BASED,
            100,
            40,
            Duration.ofSeconds(30),
            20,
            100f,
            Duration.ofMinutes(10),
            Set.of(500, 502, 503, 504));

    private final ConfigLoader loader = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-test"));

    @Test
    void loadsTheContract() throws ConfigException {
        BreakwaterConfig config = loader.parse(CONTRACT, "contract.yaml");

        assertThat(config.listen()).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(config.admin()).isEqualTo(new HostPort("127.0.0.1", 9901));
        assertThat(config.routes()).hasSize(2);

        RouteSpec openai = config.routes().get(0);
        assertThat(openai.name()).isEqualTo("openai");
        assertThat(openai.pathPrefix()).isEqualTo("/v1/");
        assertThat(openai.upstream())
                .isEqualTo(new UpstreamSpec(URI.create("https://api.openai.com"), true, "api.openai.com", 443, ""));
        assertThat(openai.upstream().authority()).isEqualTo("api.openai.com");
        assertThat(openai.stripPrefix()).isFalse();
        assertThat(openai.provider()).isEqualTo(Provider.OPENAI);
        assertThat(openai.headers()).containsExactly(Map.entry("Authorization", "Bearer sk-test"));
        assertThat(openai.caFile()).isEmpty();
        assertThat(openai.timeouts()).isEqualTo(BUILTIN_TIMEOUTS);
        assertThat(openai.retry())
                .isEqualTo(new RetrySpec(
                        4,
                        Duration.ofMillis(500),
                        2.0,
                        Duration.ofSeconds(20),
                        0.5,
                        Set.of(408, 429, 500, 502, 503, 504),
                        Set.of("GET", "POST"),
                        Duration.ofSeconds(60),
                        8L * 1024 * 1024,
                        true,
                        true));
        assertThat(openai.circuitBreaker()).isEqualTo(BUILTIN_BREAKER);

        RouteSpec tool = config.routes().get(1);
        assertThat(tool.name()).isEqualTo("policy-tool");
        assertThat(tool.pathPrefix()).isEqualTo("/tools/policy/");
        assertThat(tool.upstream())
                .isEqualTo(new UpstreamSpec(URI.create("http://127.0.0.1:8081"), false, "127.0.0.1", 8081, ""));
        assertThat(tool.upstream().authority()).isEqualTo("127.0.0.1:8081");
        assertThat(tool.stripPrefix()).isTrue();
        assertThat(tool.provider()).isEqualTo(Provider.GENERIC);
        assertThat(tool.headers()).isEmpty();
        assertThat(tool.timeouts()).isEqualTo(BUILTIN_TIMEOUTS);
        assertThat(tool.retry()).isEqualTo(BUILTIN_RETRY);
        assertThat(tool.circuitBreaker()).isEqualTo(BUILTIN_BREAKER);
    }

    @Test
    void routesInheritDefaultsKeyByKey() throws ConfigException {
        // defaults differ from the built-ins everywhere, so each value shows where it came from
        String yaml = """
                defaults:
                  timeouts: {connect: 1s, total: 0}
                  retry:
                    max-attempts: 5
                    wait-duration: 1s
                    exponential-max-wait-duration: 40s
                    retry-on-status: [503]
                    max-replay-body: 1MiB
                  circuit-breaker: {enabled: false, sliding-window-type: TIME_BASED, record-status: [502]}
                routes:
                  - name: a
                    path-prefix: /a/
                    upstream: http://a.internal
                    timeouts: {idle: 5s}
                    retry: {max-attempts: 2, retry-methods: [get, post], randomized-wait-factor: 0}
                    circuit-breaker: {enabled: true, failure-rate-threshold: 25.5}
                  - name: b
                    path-prefix: /b/
                    upstream: http://b.internal
                """;
        BreakwaterConfig config = loader.parse(yaml, "t.yaml");
        RouteSpec a = config.routes().get(0);
        RouteSpec b = config.routes().get(1);

        assertThat(a.timeouts())
                .isEqualTo(new TimeoutSpec(
                        Duration.ofSeconds(1), Duration.ofSeconds(120), Duration.ofSeconds(5), Duration.ZERO));
        assertThat(b.timeouts())
                .isEqualTo(new TimeoutSpec(
                        Duration.ofSeconds(1), Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ZERO));

        assertThat(a.retry())
                .isEqualTo(new RetrySpec(
                        2,
                        Duration.ofSeconds(1),
                        2.0,
                        Duration.ofSeconds(40),
                        0.0,
                        Set.of(503),
                        Set.of("GET", "POST"),
                        Duration.ofSeconds(60),
                        1024 * 1024,
                        true,
                        true));
        assertThat(b.retry())
                .isEqualTo(new RetrySpec(
                        5,
                        Duration.ofSeconds(1),
                        2.0,
                        Duration.ofSeconds(40),
                        0.5,
                        Set.of(503),
                        Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
                        Duration.ofSeconds(60),
                        1024 * 1024,
                        true,
                        true));

        assertThat(a.circuitBreaker())
                .isEqualTo(new CircuitBreakerSpec(
                        true,
                        25.5f,
                        SlidingWindowType.TIME_BASED,
                        100,
                        40,
                        Duration.ofSeconds(30),
                        20,
                        100f,
                        Duration.ofMinutes(10),
                        Set.of(502)));
        assertThat(b.circuitBreaker())
                .isEqualTo(new CircuitBreakerSpec(
                        false,
                        50f,
                        SlidingWindowType.TIME_BASED,
                        100,
                        40,
                        Duration.ofSeconds(30),
                        20,
                        100f,
                        Duration.ofMinutes(10),
                        Set.of(502)));
    }

    @Test
    void appliesBuiltinsWithoutDefaults() throws ConfigException {
        BreakwaterConfig config = loader.parse("""
                routes:
                  - name: only
                    path-prefix: /
                    upstream: https://gateway.example.com:8443/openai/v1/
                """, "t.yaml");

        assertThat(config.listen()).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(config.admin()).isEqualTo(new HostPort("127.0.0.1", 9901));
        RouteSpec route = config.routes().get(0);
        assertThat(route.upstream())
                .isEqualTo(new UpstreamSpec(
                        URI.create("https://gateway.example.com:8443/openai/v1/"),
                        true,
                        "gateway.example.com",
                        8443,
                        "/openai/v1"));
        assertThat(route.upstream().authority()).isEqualTo("gateway.example.com:8443");
        assertThat(route.provider()).isEqualTo(Provider.GENERIC);
        assertThat(route.stripPrefix()).isFalse();
        assertThat(route.timeouts()).isEqualTo(BUILTIN_TIMEOUTS);
        assertThat(route.retry()).isEqualTo(BUILTIN_RETRY);
        assertThat(route.circuitBreaker()).isEqualTo(BUILTIN_BREAKER);
    }

    @Test
    void servesMetricsOnlyOnTheAdminListenerUnlessAMetricsListenerIsSet() throws ConfigException {
        String route = """
                routes:
                  - name: only
                    path-prefix: /
                    upstream: http://127.0.0.1:8081
                """;

        assertThat(loader.parse(route, "t.yaml").metrics()).isEqualTo(MetricsSpec.DEFAULT);
        assertThat(loader.parse("metrics:\n  listen: 0.0.0.0:9902\n" + route, "t.yaml")
                        .metrics())
                .isEqualTo(new MetricsSpec(Optional.of(new HostPort("0.0.0.0", 9902)), 100));
        // Off loopback without an admin token: fine, the metrics listener grants no admin power.
        assertThat(loader.parse("metrics: {listen: '[::]:9902'}\n" + route, "t.yaml")
                        .metrics())
                .isEqualTo(new MetricsSpec(Optional.of(new HostPort("::", 9902)), 100));
        assertThat(loader.parse("metrics: {max-models: 5}\n" + route, "t.yaml").metrics())
                .isEqualTo(new MetricsSpec(Optional.empty(), 5));
    }

    @Test
    void substitutesEnvironmentVariables() throws ConfigException {
        ConfigLoader withEnv =
                new ConfigLoader(Map.of("LISTEN", "0.0.0.0:0", "TOKEN", "t0k3n", "RETRIES", "7", "EMPTY", ""));
        BreakwaterConfig config = withEnv.parse("""
                listen: ${LISTEN}
                admin: ${ADMIN:-[::1]:0}
                routes:
                  - name: ${ROUTE_NAME:-tool}
                    path-prefix: /t/
                    upstream: ${TOOL_URL:-http://my_tool:9000/base}
                    headers:
                      X-Token: ${TOKEN}
                      X-Empty: "[${EMPTY}]"
                      X-Literal: "$${NOT_A_VAR}"
                    retry: {max-attempts: "${RETRIES}", wait-duration: "${WAIT:-250ms}"}
                """, "t.yaml");

        assertThat(config.listen()).isEqualTo(new HostPort("0.0.0.0", 0));
        assertThat(config.admin()).isEqualTo(new HostPort("::1", 0));
        assertThat(config.admin()).hasToString("[::1]:0");
        RouteSpec route = config.routes().get(0);
        assertThat(route.name()).isEqualTo("tool");
        assertThat(route.upstream())
                .isEqualTo(new UpstreamSpec(URI.create("http://my_tool:9000/base"), false, "my_tool", 9000, "/base"));
        assertThat(route.headers()).isEqualTo(Map.of("X-Token", "t0k3n", "X-Empty", "[]", "X-Literal", "${NOT_A_VAR}"));
        assertThat(route.retry().maxAttempts()).isEqualTo(7);
        assertThat(route.retry().waitDuration()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void acceptsAnExistingCaFileForHttps(@TempDir Path dir) throws IOException, ConfigException {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        BreakwaterConfig config = loader.parse("""
                routes:
                  - name: internal
                    path-prefix: /
                    upstream: https://[::1]:8443
                    ca-file: %s
                """.formatted(ca), "t.yaml");

        RouteSpec route = config.routes().get(0);
        assertThat(route.caFile()).isEqualTo(Optional.of(ca.toAbsolutePath().normalize()));
        assertThat(route.upstream().host()).isEqualTo("::1");
        assertThat(route.upstream().authority()).isEqualTo("[::1]:8443");
    }

    @Test
    void resolvesARelativeCaFileAgainstTheWorkingDirectory() throws ConfigException {
        // Maven runs tests in the project root, where pom.xml is
        BreakwaterConfig config = loader.parse("""
                routes:
                  - {name: r, path-prefix: /, upstream: "https://example.com", ca-file: pom.xml}
                """, "t.yaml");

        assertThat(config.routes().get(0).caFile())
                .contains(Path.of("pom.xml").toAbsolutePath().normalize());
    }

    @Test
    void loadsTheShippedConfigWithoutAnyEnvironment() throws ConfigException {
        BreakwaterConfig config = new ConfigLoader(Map.of()).load(Path.of("config/breakwater.yaml"));

        assertThat(config.listen()).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(config.admin()).isEqualTo(new HostPort("127.0.0.1", 9901));
        assertThat(config.routes()).hasSize(1);
        RouteSpec openai = config.routes().get(0);
        assertThat(openai.name()).isEqualTo("openai");
        assertThat(openai.provider()).isEqualTo(Provider.OPENAI);
        assertThat(openai.headers()).isEmpty();
        assertThat(openai.retry().maxAttempts()).isEqualTo(4);
        assertThat(openai.retry().retryMethods()).containsExactlyInAnyOrder("GET", "POST");
        assertThat(openai.timeouts()).isEqualTo(BUILTIN_TIMEOUTS);
        assertThat(openai.circuitBreaker()).isEqualTo(BUILTIN_BREAKER);
    }

    @Test
    void theShippedDefaultsAreTheBuiltins() throws ConfigException {
        // the shipped defaults block documents the built-ins; a route that overrides nothing shows them
        String shipped = readShipped().replaceFirst("(?s)\nroutes:.*", "\n");
        BreakwaterConfig config = loader.parse(shipped + """
                routes:
                  - {name: x, path-prefix: /, upstream: "http://x"}
                """, "shipped-defaults");

        RouteSpec route = config.routes().get(0);
        assertThat(route.timeouts()).isEqualTo(BUILTIN_TIMEOUTS);
        assertThat(route.retry()).isEqualTo(BUILTIN_RETRY);
        assertThat(route.circuitBreaker()).isEqualTo(BUILTIN_BREAKER);
    }

    @Test
    void reportsAMissingFile() {
        assertThatThrownBy(() -> loader.load(Path.of("no/such/breakwater.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(Path.of("no/such/breakwater.yaml") + ": cannot read the file (no such file)");
    }

    @Test
    void prefixesProblemsWithTheFileName(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bw.yaml"), "routes: []\n");
        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ":1: routes: an empty list (expected: a non-empty list of routes)");
    }

    private static String readShipped() {
        try {
            return Files.readString(Path.of("config/breakwater.yaml"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
