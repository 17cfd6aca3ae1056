package dev.breakwater.proxy;

import dev.breakwater.config.UpstreamTarget;
import dev.breakwater.resilience.Credentials;
import dev.breakwater.resilience.RequestAdmission;
import dev.breakwater.routing.Route;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * Which headers go where: the client's end-to-end headers plus Breakwater's {@code X-Forwarded-*} and request id
 * on the way up, the route's configured headers on top; Breakwater's own headers on every routed response.
 */
final class HeaderPolicy {
    /** Headers Breakwater sets itself on the way up, so the client's copies are dropped. */
    private static final HeaderNames SET_BY_PROXY = HeaderNames.of(
            "host",
            "content-length",
            "expect",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-request-id",
            RequestAdmission.PRIORITY_HEADER);

    private HeaderPolicy() {}

    /** Breakwater's id of the request, on every response: the one in its logs. */
    static final String BREAKWATER_REQUEST_ID = "x-breakwater-request-id";

    /** As {@link #SET_BY_PROXY}, and the client's credentials, for an upstream that has a credential of its own. */
    private static final HeaderNames SET_BY_PROXY_WITH_CREDENTIAL = HeaderNames.of(
            "host",
            "content-length",
            "expect",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-request-id",
            RequestAdmission.PRIORITY_HEADER,
            "authorization",
            "api-key",
            "x-api-key");

    /**
     * Writes the headers an attempt sends to {@code target} straight into {@code out}: one copy per attempt, with
     * no intermediate map. An upstream whose {@code headers} carry a credential never receives the client's (see
     * {@link Credentials}).
     */
    static void writeUpstream(HttpServerRequest request, UpstreamTarget target, String requestId, MultiMap out) {
        MultiMap incoming = request.headers();
        HopByHopHeaders.copy(
                incoming, out, Credentials.setByUpstream(target) ? SET_BY_PROXY_WITH_CREDENTIAL : SET_BY_PROXY);
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
        target.headers().forEach(out::set);
    }

    /** The client's WebSocket handshake fields: the WebSocket client makes its own for the upstream. */
    private static final HeaderNames WEBSOCKET_HANDSHAKE = HeaderNames.of(
            "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol");

    /**
     * As {@link #writeUpstream}, for a WebSocket upgrade's handshake: without the client's own handshake fields
     * (key, version, extensions, subprotocols), which the WebSocket client sets for its handshake with the
     * upstream; the subprotocols the client asked for are passed to it separately.
     */
    static void writeUpstreamHandshake(
            HttpServerRequest request, UpstreamTarget target, String requestId, MultiMap out) {
        writeUpstream(request, target, requestId, out);
        WEBSOCKET_HANDSHAKE.forEach(out::remove);
    }

    /**
     * Adds the headers every routed response carries, the proxy's own errors included: Breakwater's request id in
     * {@code x-breakwater-request-id}, and in {@code x-request-id} too unless the upstream's answer carries its own
     * (which the client then receives unchanged), and
     * {@code x-should-retry: false} on a failure Breakwater has given up on, so the client's SDK does not retry
     * on top of Breakwater's own retries. {@code x-breakwater-upstream} names the upstream that answered (or was
     * tried last), when there was one.
     *
     * @param upstream the upstream's name, or null before any attempt
     */
    static void writeResponse(MultiMap out, Route route, String requestId, int attempts, String upstream, int status) {
        out.set(BREAKWATER_REQUEST_ID, requestId).set("x-breakwater-attempts", Integer.toString(attempts));
        if (!out.contains("x-request-id")) {
            out.set("x-request-id", requestId);
        }
        if (upstream != null) {
            out.set("x-breakwater-upstream", upstream);
        }
        if (status >= 400 && route.spec().retry().sendXShouldRetry()) {
            out.set("x-should-retry", "false");
        }
    }
}
