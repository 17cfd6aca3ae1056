package dev.breakwater.config;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The top-level {@code tracing} section: where OpenTelemetry traces go. Every value is optional here, because the
 * standard {@code OTEL_*} environment variables may supply it instead; {@code observability.TracingSettings} merges
 * the two when Breakwater starts (a value in the file wins over the environment's).
 *
 * @param otlpEndpoint the OTLP/HTTP collector, e.g. {@code http://127.0.0.1:4318} ({@code /v1/traces} is added
 *     unless the path already ends with it)
 * @param serviceName the {@code service.name} of the spans (default {@code breakwater})
 * @param sampleRatio the share of new traces recorded, 0 to 1 (default 1); a client's sampled flag is followed
 * @param headers headers sent with every export (a collector's credential, say)
 */
public record TracingSpec(
        Optional<URI> otlpEndpoint,
        Optional<String> serviceName,
        Optional<Double> sampleRatio,
        Map<String, String> headers) {
    /** No {@code tracing} section: only the environment can turn tracing on. */
    public static final TracingSpec NONE =
            new TracingSpec(Optional.empty(), Optional.empty(), Optional.empty(), Map.of());

    public TracingSpec {
        Objects.requireNonNull(otlpEndpoint, "otlpEndpoint");
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(sampleRatio, "sampleRatio");
        headers = Map.copyOf(headers);
    }

    /** Never print the headers' values: they are usually credentials. */
    @Override
    public String toString() {
        return "TracingSpec[otlpEndpoint=" + otlpEndpoint + ", serviceName=" + serviceName + ", sampleRatio="
                + sampleRatio + ", headers=" + headers.keySet() + "]";
    }
}
