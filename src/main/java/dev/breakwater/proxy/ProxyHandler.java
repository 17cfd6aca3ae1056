package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.routing.Route;
import dev.breakwater.routing.RouteTable;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The entry point of every proxied request: refuse what must never be proxied, normalise the path, find the
 * route, read the body into the replay buffer, then hand the exchange to its {@link RetryLoop}; a WebSocket upgrade
 * goes to a {@link WebSocketBridge} instead.
 */
final class ProxyHandler implements Handler<HttpServerRequest> {
    private final Supplier<RouteTable> routes;
    private final BooleanSupplier draining;
    private final ProxyRuntime runtime;
    private final ConnectionGuard guard;
    private final ReplayMemory replayMemory;

    ProxyHandler(
            Supplier<RouteTable> routes,
            BooleanSupplier draining,
            ProxyRuntime runtime,
            ConnectionGuard guard,
            ReplayMemory replayMemory) {
        this.routes = routes;
        this.draining = draining;
        this.runtime = runtime;
        this.guard = guard;
        this.replayMemory = replayMemory;
    }

    @Override
    public void handle(HttpServerRequest request) {
        TrackedConnection connection = guard.requestStarted(request);
        if (connection != null && (connection.closing || connection.pipelinedBehindChunked)) {
            // A request pipelined behind one Breakwater refused with Connection: close, or behind a chunked one
            // (which may have carried a Content-Length as well: a smuggling attempt), is never served.
            request.connection().close();
            return;
        }
        HttpServerResponse response = request.response();
        response.endHandler(v -> guard.requestEnded(connection, request));
        String requestId = runtime.requestIds().idFor(request.getHeader("x-request-id"));
        if (refusedBeforeRouting(request, requestId, connection)) {
            return;
        }
        RequestTarget target;
        try {
            target = RequestTarget.parse(request.uri());
        } catch (RequestTarget.InvalidTargetException e) {
            refuse(
                    request,
                    requestId,
                    connection,
                    "-",
                    ProxyError.gaveUp(
                            400, "invalid_path", "The request path cannot be forwarded safely: " + e.getMessage()));
            return;
        }
        if (draining.getAsBoolean()) {
            refuse(
                    request,
                    requestId,
                    connection,
                    target.path(),
                    ProxyError.gaveUp(
                            503,
                            "shutting_down",
                            "Breakwater is shutting down and takes no new requests; retry against another instance"));
            return;
        }
        Optional<Route> route = routes.get().match(target.path());
        if (route.isEmpty()) {
            refuse(
                    request,
                    requestId,
                    connection,
                    target.path(),
                    ProxyError.gaveUp(404, "no_route", "No Breakwater route matches path " + target.path()));
            return;
        }
        Exchange exchange = new Exchange(request, route.get(), runtime, target, requestId, replayMemory);
        if (WebSocketBridge.isUpgrade(request)) {
            new WebSocketBridge(exchange).start();
            return;
        }
        RetryLoop loop = new RetryLoop(exchange);
        response.closeHandler(v -> exchange.onClientGone());
        response.exceptionHandler(t -> exchange.onClientGone());
        long total = route.get().spec().timeouts().total().toMillis();
        if (total > 0) {
            exchange.deadlineArmed(exchange.timers().schedule(total, loop::onDeadline));
        }
        RequestBodyReader.read(request, route.get().spec().retry().maxReplayBody(), replayMemory)
                .onComplete(ar -> {
                    if (ar.failed()) {
                        exchange.onClientGone();
                        return;
                    }
                    if (exchange.isDone()) {
                        replayMemory.release(ar.result().reservedBytes());
                        return;
                    }
                    exchange.bodyRead(ar.result());
                    if (!IdempotentRequests.intercept(exchange, loop::start)) {
                        loop.start();
                    }
                });
    }

    /**
     * Refuses what a reverse proxy must not forward (RFC 9110/9112): CONNECT tunnels, TRACE (it would reflect a
     * route's injected credentials), an HTTP/1.1 request without exactly one Host, and an expectation other than
     * {@code 100-continue}.
     */
    private boolean refusedBeforeRouting(HttpServerRequest request, String requestId, TrackedConnection connection) {
        HttpMethod method = request.method();
        if (method == HttpMethod.CONNECT || method == HttpMethod.TRACE) {
            refuse(
                    request,
                    requestId,
                    connection,
                    "-",
                    ProxyError.gaveUp(
                            405,
                            "method_not_allowed",
                            "Breakwater is a reverse proxy for its configured routes; " + method.name()
                                    + " is refused"));
            return true;
        }
        if (connection != null && connection.obsFold) {
            refuse(
                    request,
                    requestId,
                    connection,
                    "-",
                    ProxyError.gaveUp(
                            400,
                            "invalid_request",
                            "A header line starts with whitespace (obsolete line folding is not accepted)"));
            return true;
        }
        if (request.version() == HttpVersion.HTTP_1_1) {
            List<String> hosts = request.headers().getAll("host");
            if (hosts.size() != 1
                    || hosts.get(0).isBlank()
                    || hasWhitespace(hosts.get(0).trim())) {
                // Whitespace inside Host is also what an obs-fold joined to it leaves behind.
                refuse(
                        request,
                        requestId,
                        connection,
                        "-",
                        ProxyError.gaveUp(
                                400,
                                "invalid_request",
                                hosts.isEmpty()
                                        ? "An HTTP/1.1 request needs a Host header"
                                        : hosts.size() > 1
                                                ? "A request may carry only one Host header"
                                                : "The Host header is not a valid host"));
                return true;
            }
        }
        if (request.headers().contains("transfer-encoding") && !soleChunkedCoding(request)) {
            refuse(
                    request,
                    requestId,
                    connection,
                    "-",
                    ProxyError.gaveUp(
                            400,
                            "invalid_request",
                            "Breakwater accepts only 'Transfer-Encoding: chunked', alone and without Content-Length"));
            return true;
        }
        String expect = request.getHeader("expect");
        if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            refuse(
                    request,
                    requestId,
                    connection,
                    "-",
                    ProxyError.gaveUp(
                            417, "expectation_failed", "Breakwater supports only the expectation 100-continue"));
            return true;
        }
        return false;
    }

    /** True for exactly one {@code Transfer-Encoding: chunked} and no {@code Content-Length} beside it. */
    private static boolean soleChunkedCoding(HttpServerRequest request) {
        List<String> codings = request.headers().getAll("transfer-encoding");
        return codings.size() == 1
                && codings.get(0).trim().equalsIgnoreCase("chunked")
                && !request.headers().contains("content-length");
    }

    private static boolean hasWhitespace(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t') {
                return true;
            }
        }
        return false;
    }

    /**
     * Answers without choosing a route; {@code path} is what the access log shows. The connection is closed once
     * the answer is written, and nothing pipelined behind it is served.
     */
    private void refuse(
            HttpServerRequest request, String requestId, TrackedConnection connection, String path, ProxyError error) {
        long start = runtime.ticker().nanoTime();
        int status = error.status();
        HttpServerResponse response = request.response();
        response.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("x-request-id", requestId)
                .putHeader(HeaderPolicy.BREAKWATER_REQUEST_ID, requestId)
                .putHeader("x-breakwater-attempts", "0");
        if (status == 503) {
            response.putHeader("retry-after", "1");
        }
        if (status == 405) {
            response.putHeader("allow", "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
        }
        // Close after every refusal: an unread body must not be taken for the next request's head.
        response.putHeader("connection", "close");
        if (connection != null) {
            connection.closing = true;
        }
        response.end(ErrorResponses.body(ErrorResponses.Shape.ofClient(request), status, error.code(), error.message()))
                .onComplete(ar -> request.connection().close());
        runtime.accessLog()
                .request(new AccessLog.Entry(
                        requestId,
                        "-",
                        request.method().name(),
                        path,
                        status,
                        0,
                        runtime.ticker().nanoTime() - start,
                        AccessLog.Outcome.PROXY_ERROR,
                        error.code(),
                        null,
                        null,
                        null,
                        runtime.ticker().nanoTime() - start,
                        request.bytesRead(),
                        0,
                        Exchange.clientAddress(request),
                        null,
                        request.getHeader("traceparent"),
                        null,
                        null));
    }
}
