package dev.breakwater.routing;

import dev.breakwater.config.RouteSpec;
import dev.breakwater.config.UpstreamSpec;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.RouteGuard;

/**
 * A route at run time: its validated spec, the guard that admits its attempts (breaker, budget, gate, retry
 * policy, provider rules; shared by every event loop), and its meters.
 *
 * @param spec the route's configuration
 * @param guard decides whether and when the route's attempts go
 * @param metrics the route's meters
 */
public record Route(RouteSpec spec, RouteGuard guard, RouteMetrics metrics) {

    /** The route's name. */
    public String name() {
        return spec.name();
    }

    /**
     * The path to request upstream for a client request target: the upstream's base path joined with the client's
     * path (minus the route prefix when {@code strip-prefix} is set), the query kept as sent.
     *
     * @param upstream the upstream the attempt goes to (its base path is joined to the client's path)
     * @param rawPath the client's path, still percent-encoded
     * @param rawQuery the client's query without {@code ?}, or null
     */
    public String upstreamPath(UpstreamSpec upstream, String rawPath, String rawQuery) {
        String rest = rawPath;
        if (spec.stripPrefix()) {
            String prefix = spec.pathPrefix();
            rest = rawPath.length() >= prefix.length() ? rawPath.substring(prefix.length()) : "";
        }
        String base = upstream.basePath();
        StringBuilder out =
                new StringBuilder(base.length() + rest.length() + 1 + (rawQuery == null ? 0 : rawQuery.length() + 1));
        out.append(base);
        if (!rest.startsWith("/")) {
            out.append('/');
        }
        out.append(rest);
        if (rawQuery != null) {
            out.append('?').append(rawQuery);
        }
        return out.toString();
    }
}
