package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.config.TracingSpec;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TracingSettingsTest {
    private static TracingSpec endpoint(String url) {
        return new TracingSpec(Optional.of(URI.create(url)), Optional.empty(), Optional.empty(), Map.of());
    }

    @Test
    void offWithoutAnEndpointAnywhere() {
        assertThat(TracingSettings.resolve(TracingSpec.NONE, Map.of("OTEL_SERVICE_NAME", "x")))
                .isEmpty();
    }

    @Test
    void theFileAloneTurnsItOnWithDefaults() {
        TracingSettings settings =
                TracingSettings.resolve(endpoint("http://c:4318"), Map.of()).orElseThrow();
        assertThat(settings.endpoint()).isEqualTo("http://c:4318/v1/traces");
        assertThat(settings.serviceName()).isEqualTo("breakwater");
        assertThat(settings.sampleRatio()).isEqualTo(1.0);
        assertThat(settings.headers()).isEmpty();
    }

    @Test
    void theEnvironmentAloneTurnsItOn() {
        TracingSettings settings = TracingSettings.resolve(
                        TracingSpec.NONE,
                        Map.of(
                                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/",
                                "OTEL_SERVICE_NAME", "agents",
                                "OTEL_TRACES_SAMPLER_ARG", "0.1",
                                "OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b,x-team=blue"))
                .orElseThrow();
        assertThat(settings.endpoint()).isEqualTo("http://c:4318/v1/traces");
        assertThat(settings.serviceName()).isEqualTo("agents");
        assertThat(settings.sampleRatio()).isEqualTo(0.1);
        assertThat(settings.headers()).containsEntry("api-key", "a b").containsEntry("x-team", "blue");
    }

    @Test
    void theTracesEndpointIsTakenAsItIs() {
        TracingSettings settings = TracingSettings.resolve(
                        TracingSpec.NONE, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://c/custom"))
                .orElseThrow();
        assertThat(settings.endpoint()).isEqualTo("https://c/custom");
    }

    @Test
    void theFileWinsOverTheEnvironment() {
        TracingSpec spec = new TracingSpec(
                Optional.of(URI.create("http://file:4318/v1/traces")),
                Optional.of("from-file"),
                Optional.of(0.5),
                Map.of("X-Team", "red"));
        TracingSettings settings = TracingSettings.resolve(
                        spec,
                        Map.of(
                                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318",
                                "OTEL_SERVICE_NAME", "from-env",
                                "OTEL_TRACES_SAMPLER_ARG", "0.1",
                                "OTEL_EXPORTER_OTLP_HEADERS", "x-team=blue"))
                .orElseThrow();
        assertThat(settings.endpoint()).isEqualTo("http://file:4318/v1/traces");
        assertThat(settings.serviceName()).isEqualTo("from-file");
        assertThat(settings.sampleRatio()).isEqualTo(0.5);
        assertThat(settings.headers()).containsExactly(Map.entry("X-Team", "red"));
    }

    @Test
    void sdkDisabledWinsOverEverything() {
        assertThat(TracingSettings.resolve(endpoint("http://c:4318"), Map.of("OTEL_SDK_DISABLED", "true")))
                .isEmpty();
        assertThat(TracingSettings.resolve(endpoint("http://c:4318"), Map.of("OTEL_TRACES_EXPORTER", "none")))
                .isEmpty();
    }

    @Test
    void aBadRatioInTheEnvironmentIsIgnoredWithAWarning() {
        TracingSettings settings = TracingSettings.resolve(
                        endpoint("http://c:4318"), Map.of("OTEL_TRACES_SAMPLER_ARG", "lots"))
                .orElseThrow();
        assertThat(settings.sampleRatio()).isEqualTo(1.0);
        assertThat(settings.warnings()).singleElement().asString().contains("OTEL_TRACES_SAMPLER_ARG: lots");
    }

    @Test
    void aBadEndpointInTheEnvironmentStopsTheStart() {
        assertThatThrownBy(() ->
                        TracingSettings.resolve(TracingSpec.NONE, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "c:4318")))
                .hasMessageContaining("OTEL_EXPORTER_OTLP_ENDPOINT: c:4318 (expected: an http:// or https:// URL");
    }
}
