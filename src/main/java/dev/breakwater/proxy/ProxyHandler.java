package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.routing.Route;
import dev.breakwater.routing.RouteTable;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The entry point of every proxied request: refuse what must never be proxied, find the route, read the body
 * into the replay buffer, then hand the exchange to its {@link RetryLoop}.
 */
final class ProxyHandler implements Handler<HttpServerRequest> {
    private final Supplier<RouteTable> routes;
    private final BooleanSupplier draining;
    private final ProxyRuntime runtime;

    ProxyHandler(Supplier<RouteTable> routes, BooleanSupplier draining, ProxyRuntime runtime) {
        this.routes = routes;
        this.draining = draining;
        this.runtime = runtime;
    }

    @Override
    public void handle(HttpServerRequest request) {
        String requestId = runtime.requestIds().idFor(request.getHeader("x-request-id"));
        if (request.method() == HttpMethod.CONNECT) {
            refuse(request, requestId, "-", 405, "method_not_allowed",
                    "Breakwater is a reverse proxy for its configured routes; CONNECT tunnels are refused");
            return;
        }
        if (draining.getAsBoolean()) {
            refuse(request, requestId, RequestTarget.parse(request.uri()).path(), 503, "shutting_down",
                    "Breakwater is shutting down and takes no new requests; retry against another instance");
            return;
        }
        RequestTarget target = RequestTarget.parse(request.uri());
        Optional<Route> route = routes.get().match(target.path());
        if (route.isEmpty()) {
            refuse(request, requestId, target.path(), 404, "no_route",
                    "No Breakwater route matches path " + target.path());
            return;
        }
        Exchange exchange = new Exchange(request, route.get(), runtime, target, requestId);
        RetryLoop loop = new RetryLoop(exchange);
        HttpServerResponse response = request.response();
        response.closeHandler(v -> exchange.onClientGone());
        response.exceptionHandler(t -> exchange.onClientGone());
        long total = route.get().spec().timeouts().total().toMillis();
        if (total > 0) {
            exchange.deadlineTimer = runtime.scheduler().schedule(total, loop::onDeadline);
        }
        RequestBodyReader.read(request, route.get().spec().retry().maxReplayBody()).onComplete(ar -> {
            if (exchange.isDone()) {
                return;
            }
            if (ar.failed()) {
                exchange.onClientGone();
                return;
            }
            exchange.body = ar.result();
            exchange.bodyReadNanos = runtime.ticker().nanoTime();
            loop.start();
        });
    }

    /** Answers without choosing a route; {@code path} is what the access log shows. */
    private void refuse(HttpServerRequest request, String requestId, String path, int status, String code,
            String message) {
        long start = runtime.ticker().nanoTime();
        HttpServerResponse response = request.response();
        response.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("x-request-id", requestId)
                .putHeader("x-breakwater-attempts", "0");
        if (status == 503) {
            response.putHeader("connection", "close").putHeader("retry-after", "1");
        }
        if (status == 405) {
            response.putHeader("allow", "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
            response.putHeader("connection", "close");
        }
        response.end(ErrorResponses.body(code, message));
        runtime.accessLog().request(requestId, "-", request.method().name(), path, status, 0,
                runtime.ticker().nanoTime() - start, AccessLog.Outcome.PROXY_ERROR, code,
                request.getHeader("traceparent"));
    }
}
