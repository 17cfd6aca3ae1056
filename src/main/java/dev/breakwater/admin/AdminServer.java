package dev.breakwater.admin;

import dev.breakwater.proxy.ErrorResponses;
import dev.breakwater.resilience.RouteBreaker;
import dev.breakwater.routing.Route;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The admin listener, on its own address.
 *
 * <ul>
 *   <li>{@code GET /healthz}: the process lives; {@code GET /readyz}: 200 once the proxy listens, 503 while
 *       starting or draining. Never behind the token, so probes need no secret.</li>
 *   <li>{@code GET /metrics}: Prometheus text (also served, without the token, by {@link MetricsServer} when
 *       {@code metrics: {listen: ...}} is set).</li>
 *   <li>{@code GET /admin/routes}: every route with its upstream, effective policy and live breaker state.</li>
 *   <li>{@code POST /admin/routes/{name}/circuit-breaker/{open|close|reset}}: operator overrides.</li>
 *   <li>{@code POST /admin/reload}: re-read the configuration file now.</li>
 *   <li>{@code GET /admin/status}: version, uptime, configuration file and the last reload's result.</li>
 *   <li>{@code GET /admin/fleet}: the fleet's Redis and members, when {@code fleet:} is set.</li>
 *   <li>{@code GET /admin/decisions}: recent retry decisions; {@code GET /}: the status page.</li>
 * </ul>
 *
 * <p>When an admin token is configured, every endpoint but the probes and the (data-free) status page requires
 * {@code Authorization: Bearer}.
 */
public final class AdminServer extends VerticleBase {
    private final String host;
    private final int port;
    private final AdminContext context;
    private final Buffer statusPage;
    private HttpServer server;

    /**
     * @param host the interface to bind
     * @param port the port to bind, 0 for any
     */
    public AdminServer(String host, int port, AdminContext context) {
        this.host = host;
        this.port = port;
        this.context = context;
        this.statusPage = Buffer.buffer(resource("/admin/status.html"));
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(ctx -> {
            boolean ready = context.ready().getAsBoolean();
            json(ctx, ready ? 200 : 503, new JsonObject().put("status", ready ? "ready" : "not_ready"));
        });
        // The page itself holds no data (it asks /admin/* with the token), so a browser can always open it.
        router.get("/")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "text/html; charset=utf-8")
                        .putHeader("cache-control", "no-store")
                        .end(statusPage));
        context.token().map(BearerToken::new).ifPresent(token -> router.route().handler(ctx -> authorize(ctx, token)));
        router.get("/metrics").handler(ctx -> MetricsServer.scrape(ctx.request(), context.metrics()));
        router.get("/admin/routes").handler(ctx -> {
            JsonArray routes = new JsonArray();
            context.routes().get().routes().forEach(route -> routes.add(RouteView.of(route)));
            json(ctx, 200, new JsonObject().put("routes", routes));
        });
        router.get("/admin/routes/:name").handler(ctx -> {
            String name = ctx.pathParam("name");
            context.routes()
                    .get()
                    .named(name)
                    .ifPresentOrElse(
                            route -> json(ctx, 200, RouteView.of(route)),
                            () -> error(ctx, 404, "no_route", "No route named '" + name + "'"));
        });
        router.post("/admin/routes/:name/circuit-breaker/:action").handler(this::breakerAction);
        router.post("/admin/reload")
                .handler(ctx -> context.reload().get().onComplete(ar -> {
                    if (ar.failed()) {
                        json(
                                ctx,
                                500,
                                new JsonObject()
                                        .put("applied", false)
                                        .put("summary", ar.cause().getMessage()));
                    } else {
                        json(ctx, ar.result().applied() ? 200 : 422, ar.result().toJson());
                    }
                }));
        router.get("/admin/status")
                .handler(ctx -> json(ctx, 200, context.status().toJson()));
        router.get("/admin/fleet").handler(ctx -> json(ctx, 200, context.fleet().get()));
        router.get("/admin/decisions")
                .handler(ctx -> json(
                        ctx,
                        200,
                        new JsonObject().put("decisions", context.decisions().toJson())));
        server = vertx.createHttpServer().requestHandler(router);
        return Listening.listen(server, host, port, "admin listener");
    }

    @Override
    public Future<?> stop() {
        return server.close();
    }

    /** The port actually bound. */
    public int actualPort() {
        return server.actualPort();
    }

    private void breakerAction(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Optional<Route> route = context.routes().get().named(name);
        if (route.isEmpty()) {
            error(ctx, 404, "no_route", "No route named '" + name + "'");
            return;
        }
        if (route.get().guard().breaker().isEmpty()) {
            error(ctx, 409, "circuit_breaker_disabled", "Route '" + name + "' has no circuit breaker");
            return;
        }
        String action = ctx.pathParam("action");
        if (!List.of("open", "close", "reset").contains(action)) {
            error(ctx, 400, "unknown_action", "Expected open, close or reset");
            return;
        }
        // The primary's breakers, every model's included: an operator opening "the route" means all of it.
        for (RouteBreaker each :
                route.get().guard().upstreams().get(0).breakers().orElseThrow().all()) {
            CircuitBreaker breaker = each.circuitBreaker();
            switch (action) {
                case "open" -> breaker.transitionToForcedOpenState();
                case "close" -> breaker.transitionToClosedState();
                default -> breaker.reset();
            }
        }
        json(ctx, 200, RouteView.of(route.get()));
    }

    private static void authorize(RoutingContext ctx, BearerToken token) {
        if (token.matches(ctx.request().getHeader("authorization"))) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("www-authenticate", "Bearer realm=\"breakwater-admin\"");
        error(ctx, 401, "unauthorized", "The admin API needs 'Authorization: Bearer <admin-token>'");
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        ctx.response()
                .setStatusCode(status)
                .putHeader("content-type", "application/json")
                .end(ErrorResponses.body(code, message));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response()
                .setStatusCode(status)
                .putHeader("content-type", "application/json")
                .end(body.encode());
    }

    private static String resource(String name) {
        try (InputStream in = AdminServer.class.getResourceAsStream(name)) {
            if (in == null) {
                return "<!doctype html><title>Breakwater</title><p>Status page missing from the build.";
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
