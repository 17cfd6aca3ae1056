package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The top-level {@code tracing} section. */
class TracingConfigTest {
    private static final String ROUTE = "routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\"}\n";
    private final ConfigLoader loader = new ConfigLoader(Map.of("COLLECTOR_TOKEN", "t0ken"));

    private BreakwaterConfig parse(String yaml) throws ConfigException {
        return loader.parse(yaml, "t.yaml");
    }

    private String problem(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void withoutTracingTheFileSaysNothing() throws ConfigException {
        assertThat(parse(ROUTE).tracing()).isEqualTo(TracingSpec.NONE);
    }

    @Test
    void readsEveryKey() throws ConfigException {
        TracingSpec tracing = parse("""
                tracing:
                  otlp-endpoint: http://collector:4318
                  service-name: agent-sidecar
                  sample-ratio: 0.25
                  headers: {Authorization: "Bearer ${COLLECTOR_TOKEN}"}
                """ + ROUTE).tracing();
        assertThat(tracing.otlpEndpoint()).hasValue(URI.create("http://collector:4318"));
        assertThat(tracing.serviceName()).hasValue("agent-sidecar");
        assertThat(tracing.sampleRatio()).hasValue(0.25);
        assertThat(tracing.headers()).containsEntry("Authorization", "Bearer t0ken");
        assertThat(tracing.toString()).doesNotContain("t0ken");
    }

    @Test
    void everyKeyIsOptional() throws ConfigException {
        TracingSpec tracing = parse("tracing: {service-name: x}\n" + ROUTE).tracing();
        assertThat(tracing.otlpEndpoint()).isEmpty();
        assertThat(tracing.sampleRatio()).isEqualTo(Optional.empty());
    }

    @Test
    void badValuesAreReportedWithTheirPaths() {
        assertThat(problem("tracing: {otlp-endpoint: \"grpc://c:4317\"}\n" + ROUTE))
                .contains("t.yaml:1: tracing.otlp-endpoint:")
                .contains("expected: an http:// or https:// URL");
        assertThat(problem("tracing: {sample-ratio: 1.5}\n" + ROUTE)).contains("tracing.sample-ratio: 1.5");
        assertThat(problem("tracing: {service-name: \" \"}\n" + ROUTE)).contains("tracing.service-name");
        assertThat(problem("tracing: {endpoint: x}\n" + ROUTE)).contains("tracing.endpoint");
    }
}
