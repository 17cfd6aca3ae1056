package dev.breakwater.proxy;

import dev.breakwater.routing.Route;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.Set;

/**
 * Which headers go where: the client's end-to-end headers plus Breakwater's {@code X-Forwarded-*} and request id
 * on the way up, the route's configured headers on top; Breakwater's own headers on every routed response.
 */
final class HeaderPolicy {
    /** Headers Breakwater sets itself on the way up, so the client's copies are dropped. */
    private static final Set<String> SET_BY_PROXY = HopByHopHeaders.caseInsensitive(
            "host",
            "content-length",
            "expect",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-request-id");

    private HeaderPolicy() {}

    /**
     * Writes the headers an attempt sends upstream straight into {@code out}: one copy per attempt, with no
     * intermediate map.
     */
    static void writeUpstream(HttpServerRequest request, Route route, String requestId, MultiMap out) {
        MultiMap incoming = request.headers();
        HopByHopHeaders.copy(incoming, out, SET_BY_PROXY);
        String remote =
                request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        String priorFor = incoming.get("x-forwarded-for");
        if (remote != null) {
            out.set("x-forwarded-for", priorFor == null ? remote : priorFor + ", " + remote);
        } else if (priorFor != null) {
            out.set("x-forwarded-for", priorFor);
        }
        out.set("x-forwarded-proto", request.scheme() == null ? "http" : request.scheme());
        String host = request.authority() != null ? request.authority().toString() : incoming.get("host");
        if (host != null) {
            out.set("x-forwarded-host", host);
        }
        out.set("x-request-id", requestId);
        route.spec().headers().forEach(out::set);
    }

    /** The value of {@code name} the upstream receives: the route's own header wins over the client's. */
    static String upstreamValue(HttpServerRequest request, Route route, String name) {
        for (Map.Entry<String, String> header : route.spec().headers().entrySet()) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return request.getHeader(name);
    }

    /**
     * Adds the headers every routed response carries, the proxy's own errors included, and
     * {@code x-should-retry: false} on a failure Breakwater has given up on, so the client's SDK does not retry
     * on top of Breakwater's own retries.
     */
    static void writeResponse(MultiMap out, Route route, String requestId, int attempts, int status) {
        out.set("x-request-id", requestId).set("x-breakwater-attempts", Integer.toString(attempts));
        if (status >= 400 && route.spec().retry().sendXShouldRetry()) {
            out.set("x-should-retry", "false");
        }
    }
}
