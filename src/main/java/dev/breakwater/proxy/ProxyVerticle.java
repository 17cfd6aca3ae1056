package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.observability.RequestIds;
import dev.breakwater.observability.RetryLog;
import dev.breakwater.routing.RouteTable;
import dev.breakwater.routing.UpstreamClients;
import dev.breakwater.time.Ticker;
import dev.breakwater.time.VertxScheduler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.function.Supplier;

/**
 * One event loop's proxy: an HTTP server on the shared listen address and this loop's upstream clients.
 * Breakwater deploys one instance per event loop; Vert.x spreads accepted connections across them.
 */
public final class ProxyVerticle extends VerticleBase {
    private final Supplier<RouteTable> routes;
    private final String host;
    private final int port;
    private final Ticker ticker;
    private UpstreamClients clients;
    private HttpServer server;

    /**
     * @param routes the current route table (read per request, so a reload swaps it atomically)
     * @param host the interface to bind
     * @param port the port to bind; every instance must use the same one
     * @param ticker the monotonic clock for deadlines
     */
    public ProxyVerticle(Supplier<RouteTable> routes, String host, int port, Ticker ticker) {
        this.routes = routes;
        this.host = host;
        this.port = port;
        this.ticker = ticker;
    }

    @Override
    public Future<?> start() {
        clients = new UpstreamClients(vertx);
        ProxyRuntime runtime = new ProxyRuntime(new VertxScheduler(vertx), ticker, clients, new RequestIds(),
                new AccessLog(), new RetryLog());
        HttpServerOptions options = new HttpServerOptions()
                .setTcpNoDelay(true)
                .setHandle100ContinueAutomatically(true)
                .setHttp2ClearTextEnabled(true)
                .setCompressionSupported(false)
                .setDecompressionSupported(false);
        server = vertx.createHttpServer(options).requestHandler(new ProxyHandler(routes, runtime));
        return server.listen(port, host);
    }

    @Override
    public Future<?> stop() {
        clients.close();
        return server.close();
    }

    /** The port actually bound (useful when configured as 0). */
    public int actualPort() {
        return server.actualPort();
    }
}
