package dev.breakwater.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads the top-level {@code tracing} section into a {@link TracingSpec}. */
final class TracingReader {
    static final List<String> KEYS = List.of("otlp-endpoint", "service-name", "sample-ratio", "headers");

    private static final String ENDPOINT = "an http:// or https:// URL such as http://127.0.0.1:4318";
    private static final String NAME = "a non-empty service name";

    private TracingReader() {}

    /** The tracing settings, or empty when any key is bad (each problem has been reported). */
    static Optional<TracingSpec> read(YamlValue value) {
        Optional<YamlSection> maybe = value.section(KEYS);
        if (maybe.isEmpty()) {
            return Optional.empty();
        }
        YamlSection section = maybe.get();
        Optional<Optional<URI>> endpoint = section.get("otlp-endpoint")
                .map(v -> endpoint(v).map(Optional::of))
                .orElse(Optional.of(Optional.empty()));
        Optional<Optional<String>> name = section.get("service-name")
                .map(v -> v.text(NAME)
                        .filter(t -> {
                            if (t.isBlank()) {
                                v.reject(NAME);
                                return false;
                            }
                            return true;
                        })
                        .map(t -> Optional.of(t.trim())))
                .orElse(Optional.of(Optional.empty()));
        Optional<Optional<Double>> ratio = section.get("sample-ratio")
                .map(v -> Readers.decimal(Bound.atLeast("0"), Bound.atMost("1"))
                        .read(v)
                        .map(Optional::of))
                .orElse(Optional.of(Optional.empty()));
        Optional<Map<String, String>> headers =
                section.get("headers").map(RouteReader::headers).orElse(Optional.of(Map.of()));
        if (endpoint.isEmpty() || name.isEmpty() || ratio.isEmpty() || headers.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new TracingSpec(endpoint.get(), name.get(), ratio.get(), headers.get()));
    }

    private static Optional<URI> endpoint(YamlValue v) {
        return v.text(ENDPOINT).flatMap(t -> {
            try {
                URI uri = new URI(t.trim());
                String scheme = uri.getScheme();
                if (scheme == null
                        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                        || uri.getHost() == null
                        || uri.getRawUserInfo() != null) {
                    v.reject(ENDPOINT);
                    return Optional.empty();
                }
                return Optional.of(uri);
            } catch (URISyntaxException e) {
                v.reject(ENDPOINT);
                return Optional.empty();
            }
        });
    }
}
