package dev.breakwater.admin;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;

/**
 * The admin listener, on its own address: {@code GET /healthz} answers while the process lives,
 * {@code GET /readyz} answers 200 only once the configuration is loaded and the proxy port listens.
 */
public final class AdminServer extends VerticleBase {
    private final String host;
    private final int port;
    private final BooleanSupplier ready;
    private HttpServer server;

    /**
     * @param host the interface to bind
     * @param port the port to bind, 0 for any
     * @param ready whether the proxy is ready to take traffic
     */
    public AdminServer(String host, int port, BooleanSupplier ready) {
        this.host = host;
        this.port = port;
        this.ready = ready;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(ctx -> {
            boolean isReady = ready.getAsBoolean();
            json(ctx, isReady ? 200 : 503, new JsonObject().put("status", isReady ? "ready" : "not_ready"));
        });
        server = vertx.createHttpServer().requestHandler(router);
        return server.listen(port, host);
    }

    @Override
    public Future<?> stop() {
        return server.close();
    }

    /** The port actually bound. */
    public int actualPort() {
        return server.actualPort();
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }
}
