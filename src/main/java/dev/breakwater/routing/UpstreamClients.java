package dev.breakwater.routing;

import dev.breakwater.config.RouteSpec;
import dev.breakwater.config.UpstreamTarget;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The pooled HTTP clients of one event loop, one per distinct upstream (address, TLS trust, connect timeout).
 *
 * <p>Each proxy verticle owns one instance, so connections stay on the loop that uses them and no request ever
 * allocates a client. Not thread-safe: confined to its verticle's event loop.
 */
public final class UpstreamClients {
    /** Connections kept per upstream and event loop; agents hold long streams, so be generous. */
    static final int POOL_SIZE = 512;
    /** WebSocket sessions open at once per upstream and event loop; more wait for one to end. */
    static final int WEBSOCKETS_PER_UPSTREAM = 4096;
    /**
     * The largest WebSocket frame and message either way (the listener's limit too): a Realtime audio chunk or a
     * client's unfragmented 1 MiB message passes; a frame is held whole while it is relayed.
     */
    public static final int MAX_WEBSOCKET_MESSAGE = 16 * 1024 * 1024;

    private final Vertx vertx;
    private final Consumer<HttpConnection> connectHandler;
    private final Map<Key, HttpClient> clients = new HashMap<>();
    private final Map<Key, WebSocketClient> webSocketClients = new HashMap<>();

    /**
     * @param connectHandler called with every new upstream connection (the proxy attaches its tracking there)
     */
    public UpstreamClients(Vertx vertx, Consumer<HttpConnection> connectHandler) {
        this.vertx = vertx;
        this.connectHandler = connectHandler;
    }

    /** The client for one upstream of a route, created on first use: every upstream has a pool of its own. */
    public HttpClient clientFor(RouteSpec route, UpstreamTarget target) {
        return clients.computeIfAbsent(key(route, target), this::create);
    }

    /**
     * The WebSocket client for one upstream of a route, created on first use, with the same address, TLS trust
     * and connect timeout as its HTTP client. It makes the upgrade handshake itself; each session has its own
     * connection.
     */
    public WebSocketClient webSocketClientFor(RouteSpec route, UpstreamTarget target) {
        return webSocketClients.computeIfAbsent(key(route, target), this::createWebSocketClient);
    }

    private static Key key(RouteSpec route, UpstreamTarget target) {
        return new Key(
                route.name() + "/" + target.name(),
                target.upstream().host(),
                target.upstream().port(),
                target.upstream().tls(),
                target.caFile(),
                route.timeouts().connect().toMillis());
    }

    /**
     * Shuts down, gracefully, the clients of upstreams the route table no longer has (a route or fallback
     * renamed or removed, its address, trust or connect timeout changed): their requests in flight get
     * {@code grace} to finish, then the pool closes.
     *
     * @return how many clients were shut down
     */
    public int retainOnly(RouteTable table, Duration grace) {
        Set<Key> live = new HashSet<>();
        for (Route route : table.routes()) {
            for (UpstreamTarget target : route.spec().targets()) {
                live.add(key(route.spec(), target));
            }
        }
        int closed = 0;
        for (var it = clients.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!live.contains(entry.getKey())) {
                it.remove();
                entry.getValue().shutdown(grace.toMillis(), TimeUnit.MILLISECONDS);
                closed++;
            }
        }
        for (var it = webSocketClients.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!live.contains(entry.getKey())) {
                it.remove();
                entry.getValue().shutdown(grace.toMillis(), TimeUnit.MILLISECONDS);
                closed++;
            }
        }
        return closed;
    }

    /** Closes every client. */
    public void close() {
        clients.values().forEach(HttpClient::close);
        clients.clear();
        webSocketClients.values().forEach(WebSocketClient::close);
        webSocketClients.clear();
    }

    private WebSocketClient createWebSocketClient(Key key) {
        WebSocketClientOptions options = new WebSocketClientOptions()
                .setDefaultHost(key.host())
                .setDefaultPort(key.port())
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, key.connectTimeoutMillis()))
                .setTcpNoDelay(true)
                .setMaxConnections(WEBSOCKETS_PER_UPSTREAM)
                .setMaxFrameSize(MAX_WEBSOCKET_MESSAGE)
                .setMaxMessageSize(MAX_WEBSOCKET_MESSAGE);
        if (key.tls()) {
            options.setSsl(true).setVerifyHost(true);
            key.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
        }
        return vertx.createWebSocketClient(options);
    }

    private HttpClient create(Key key) {
        HttpClientOptions options = new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setDefaultHost(key.host())
                .setDefaultPort(key.port())
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, key.connectTimeoutMillis()))
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false);
        if (key.tls()) {
            options.setSsl(true).setVerifyHost(true).setForceSni(true);
            key.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
        }
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(POOL_SIZE).setHttp2MaxSize(1);
        // Upstream resets surface on the attempt or the relay; the connection-level copy is only noise.
        return vertx.httpClientBuilder()
                .with(options)
                .with(pool)
                .withConnectHandler(connection -> {
                    connection.exceptionHandler(t -> {});
                    connectHandler.accept(connection);
                })
                .build();
    }

    /** One pool per upstream of each route ({@code owner}), and per address and TLS trust within it. */
    private record Key(
            String owner, String host, int port, boolean tls, Optional<Path> caFile, long connectTimeoutMillis) {}
}
