package dev.breakwater.observability;

import dev.breakwater.config.TracingSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where traces go, from the {@code tracing} section and the standard OpenTelemetry environment variables together.
 *
 * <p>Tracing is on when either names a collector: {@code tracing.otlp-endpoint}, {@code
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} or {@code OTEL_EXPORTER_OTLP_ENDPOINT}; {@code OTEL_SDK_DISABLED=true} or
 * {@code OTEL_TRACES_EXPORTER=none} turn it off whatever the file says. For each setting a value in the file wins
 * over the environment's, since the file is what the operator edits for Breakwater; the environment fills in what
 * the file leaves out ({@code OTEL_SERVICE_NAME}, {@code OTEL_TRACES_SAMPLER_ARG}, {@code
 * OTEL_EXPORTER_OTLP_HEADERS} and {@code OTEL_EXPORTER_OTLP_TRACES_HEADERS}). An environment value that does not
 * parse is ignored, with the problem returned in {@link #warnings()}.
 *
 * @param endpoint the full OTLP/HTTP URL spans are posted to, ending in {@code /v1/traces}
 * @param serviceName the resource's {@code service.name}
 * @param sampleRatio the share of new traces sampled, 0 to 1
 * @param headers headers sent with each export
 * @param warnings environment values that were ignored, and why
 */
public record TracingSettings(
        String endpoint, String serviceName, double sampleRatio, Map<String, String> headers, List<String> warnings) {
    /** The default {@code service.name}. */
    public static final String DEFAULT_SERVICE_NAME = "breakwater";

    private static final String TRACES_PATH = "/v1/traces";

    public TracingSettings {
        headers = Map.copyOf(headers);
        warnings = List.copyOf(warnings);
    }

    /**
     * The settings in force, or empty when tracing is off.
     *
     * @throws IllegalArgumentException when an {@code OTEL_EXPORTER_OTLP_*ENDPOINT} variable is not an http(s) URL
     */
    public static Optional<TracingSettings> resolve(TracingSpec spec, Map<String, String> env) {
        if ("true".equalsIgnoreCase(trimmed(env, "OTEL_SDK_DISABLED"))
                || "none".equalsIgnoreCase(trimmed(env, "OTEL_TRACES_EXPORTER"))) {
            return Optional.empty();
        }
        String endpoint;
        if (spec.otlpEndpoint().isPresent()) {
            endpoint = withTracesPath(spec.otlpEndpoint().get().toString());
        } else if (trimmed(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null) {
            // The per-signal variable is the whole URL, used as it is.
            endpoint = checked(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        } else if (trimmed(env, "OTEL_EXPORTER_OTLP_ENDPOINT") != null) {
            endpoint = withTracesPath(checked(env, "OTEL_EXPORTER_OTLP_ENDPOINT"));
        } else {
            return Optional.empty();
        }
        List<String> warnings = new ArrayList<>();
        String service = spec.serviceName()
                .or(() -> Optional.ofNullable(trimmed(env, "OTEL_SERVICE_NAME")))
                .orElse(DEFAULT_SERVICE_NAME);
        double ratio = spec.sampleRatio().orElseGet(() -> envRatio(env, warnings));
        Map<String, String> headers = new LinkedHashMap<>();
        headers(env, "OTEL_EXPORTER_OTLP_HEADERS", headers, warnings);
        headers(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", headers, warnings);
        // Header names ignore case: the file's Authorization replaces the environment's authorization.
        spec.headers().keySet().forEach(name -> headers.keySet().removeIf(name::equalsIgnoreCase));
        headers.putAll(spec.headers());
        return Optional.of(new TracingSettings(endpoint, service, ratio, headers, warnings));
    }

    private static String checked(Map<String, String> env, String name) {
        String text = trimmed(env, name);
        try {
            URI uri = new URI(text);
            if (uri.getHost() != null
                    && ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                return text;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                name + ": " + text + " (expected: an http:// or https:// URL such as http://127.0.0.1:4318)");
    }

    /** A base URL, as {@code OTEL_EXPORTER_OTLP_ENDPOINT} is, gets the traces path unless it already ends so. */
    private static String withTracesPath(String base) {
        String path = URI.create(base).getPath();
        if (path != null && path.endsWith(TRACES_PATH)) {
            return base;
        }
        return base.endsWith("/") ? base.substring(0, base.length() - 1) + TRACES_PATH : base + TRACES_PATH;
    }

    private static double envRatio(Map<String, String> env, List<String> warnings) {
        String text = trimmed(env, "OTEL_TRACES_SAMPLER_ARG");
        if (text == null) {
            return 1.0;
        }
        try {
            double ratio = Double.parseDouble(text);
            if (ratio >= 0 && ratio <= 1) {
                return ratio;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        warnings.add("OTEL_TRACES_SAMPLER_ARG: " + text + " (expected: a ratio from 0 to 1); sampling all traces");
        return 1.0;
    }

    /** {@code key1=value1,key2=value2}, values URL-encoded, as the OpenTelemetry specification has it. */
    private static void headers(Map<String, String> env, String name, Map<String, String> out, List<String> warnings) {
        String text = trimmed(env, name);
        if (text == null) {
            return;
        }
        for (String pair : text.split(",")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? "" : pair.substring(0, eq).trim();
            if (key.isEmpty()) {
                // Not echoed: header values are usually credentials.
                warnings.add(name + ": an entry without a name=value form was ignored");
                continue;
            }
            try {
                out.put(
                        key.toLowerCase(Locale.ROOT),
                        URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                warnings.add(name + ": the value of " + key + " is not URL-encoded properly and was ignored");
            }
        }
    }

    private static String trimmed(Map<String, String> env, String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Never print the headers' values: they are usually credentials. */
    @Override
    public String toString() {
        return "TracingSettings[endpoint=" + endpoint + ", serviceName=" + serviceName + ", sampleRatio=" + sampleRatio
                + ", headers=" + headers.keySet() + "]";
    }
}
