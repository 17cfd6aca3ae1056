package dev.breakwater.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One upstream a route may send an attempt to: its primary (named after the route) or one of its
 * {@code fallbacks}. Each has its own circuit breaker, rate-limit gate and connection pool at run time.
 *
 * @param name unique within the route; the primary's is the route's name
 * @param upstream the upstream address
 * @param provider the API kind, for classification and rate-limit keys (a fallback defaults to the route's)
 * @param headers headers set on every request to this upstream; a credential header here replaces every
 *     credential header the client sent
 * @param caFile a PEM file of CA certificates trusted for an {@code https} upstream, instead of the JDK's
 * @param models rewrites of the JSON body's top-level {@code model} for this upstream (client model → upstream
 *     model); empty for none
 */
public record UpstreamTarget(
        String name,
        UpstreamSpec upstream,
        Provider provider,
        Map<String, String> headers,
        Optional<Path> caFile,
        Map<String, String> models) {
    public UpstreamTarget {
        headers = Map.copyOf(headers);
        models = Map.copyOf(models);
    }
}
