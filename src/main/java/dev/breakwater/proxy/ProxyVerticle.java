package dev.breakwater.proxy;

import dev.breakwater.config.ListenerLimits;
import dev.breakwater.observability.AccessLog;
import dev.breakwater.observability.RequestIds;
import dev.breakwater.observability.RetryLog;
import dev.breakwater.routing.UpstreamClients;
import dev.breakwater.time.VertxScheduler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's proxy: an HTTP server on the shared listen address and this loop's upstream clients.
 * Breakwater deploys one instance per event loop; Vert.x spreads accepted connections across them.
 */
public final class ProxyVerticle extends VerticleBase {
    private final ProxyShared shared;
    private final String host;
    private final int port;
    private UpstreamClients clients;
    private HttpServer server;
    private long sweepTimer = -1;
    private long clientSweepTimer = -1;
    private static final long CLIENT_SWEEP_MILLIS = 60_000;
    private static final java.time.Duration CLIENT_GRACE = java.time.Duration.ofMinutes(10);

    /**
     * @param shared the state every proxy verticle shares
     * @param host the interface to bind
     * @param port the port to bind; every instance must use the same one (negative: a shared random port)
     */
    public ProxyVerticle(ProxyShared shared, String host, int port) {
        this.shared = shared;
        this.host = host;
        this.port = port;
    }

    @Override
    public Future<?> start() {
        clients = new UpstreamClients(vertx, UpstreamConnection::install);
        ProxyRuntime runtime = new ProxyRuntime(
                new VertxScheduler(vertx),
                shared.ticker(),
                clients,
                new RequestIds(),
                new AccessLog(),
                new RetryLog(shared.decisions()),
                shared.tracing());
        ListenerLimits limits = shared.limits();
        ConnectionGuard guard = new ConnectionGuard(
                shared.ticker(),
                shared.perLoop(shared.maxConnections()),
                shared.perLoop(limits.maxConnectionsPerClient()),
                limits.idleTimeout(),
                limits.headerReadTimeout());
        sweepTimer = vertx.setPeriodic(guard.sweepIntervalMillis(), id -> guard.sweep());
        // After a reload, pools of upstreams that are gone are shut down, with the longest total timeout as grace.
        clientSweepTimer = vertx.setPeriodic(
                CLIENT_SWEEP_MILLIS, id -> clients.retainOnly(shared.routes().get(), CLIENT_GRACE));
        HttpServerOptions options = new HttpServerOptions()
                .setTcpNoDelay(true)
                .setHandle100ContinueAutomatically(true)
                // No h2c: with it, Vert.x sets a connection up only once its first request head is complete,
                // so a slowloris or an idle socket would escape the connection guard (limits, head timeout).
                .setHttp2ClearTextEnabled(false)
                .setCompressionSupported(false)
                .setDecompressionSupported(false)
                // WebSocket frames are relayed as they come: no compression to undo (nor inflate bombs), and
                // frames as large as the upstream side takes.
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setMaxWebSocketFrameSize(UpstreamClients.MAX_WEBSOCKET_MESSAGE)
                .setMaxWebSocketMessageSize(UpstreamClients.MAX_WEBSOCKET_MESSAGE);
        server = vertx.createHttpServer(options)
                .connectionHandler(connection -> {
                    // A client resetting its connection is routine; its exchange already reacts to it.
                    connection.exceptionHandler(t -> {});
                    guard.accept(connection);
                })
                .requestHandler(
                        new ProxyHandler(shared.routes(), shared.draining(), runtime, guard, shared.replayMemory()));
        // Name the address: Netty's own message ("Address already in use") does not say which one.
        return server.listen(port, host)
                .recover(t -> Future.failedFuture(new IllegalStateException(
                        "cannot listen on " + host + ":" + Math.max(0, port) + " (proxy listener): " + t.getMessage(),
                        t)));
    }

    /** Stops accepting connections and lets requests in flight finish, up to the shutdown grace. */
    @Override
    public Future<?> stop() {
        vertx.cancelTimer(sweepTimer);
        vertx.cancelTimer(clientSweepTimer);
        return server.shutdown(shared.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)
                .eventually(() -> {
                    clients.close();
                    return Future.succeededFuture();
                });
    }

    /** The port actually bound (useful when configured as 0). */
    public int actualPort() {
        return server.actualPort();
    }
}
