package dev.breakwater;

import dev.breakwater.admin.AdminServer;
import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.proxy.ProxyVerticle;
import dev.breakwater.routing.RouteFactory;
import dev.breakwater.routing.RouteTable;
import dev.breakwater.time.Ticker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Breakwater: the proxy listener (one verticle per event loop), the admin listener and the live route
 * table. {@link #start} is what {@code Main} and the integration tests both use.
 */
public final class Breakwater {
    private static final Logger LOG = LoggerFactory.getLogger(Breakwater.class);
    /** Jitter for every route; event loops share it, so each thread draws from its own generator. */
    private static final RandomGenerator THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextLong();

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final AtomicReference<RouteTable> routes;
    private final AtomicBoolean ready;
    private final int proxyPort;
    private final int adminPort;

    private Breakwater(Vertx vertx, boolean ownsVertx, AtomicReference<RouteTable> routes, AtomicBoolean ready,
            int proxyPort, int adminPort) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.routes = routes;
        this.ready = ready;
        this.proxyPort = proxyPort;
        this.adminPort = adminPort;
    }

    /** Starts Breakwater on a Vert.x instance of its own, sized to the machine. */
    public static Future<Breakwater> start(BreakwaterConfig config) {
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true));
        return start(vertx, true, config, loops);
    }

    /**
     * Starts Breakwater on {@code vertx} with {@code instances} proxy verticles.
     *
     * @param ownsVertx whether {@link #close()} also closes {@code vertx}
     */
    public static Future<Breakwater> start(Vertx vertx, boolean ownsVertx, BreakwaterConfig config, int instances) {
        Ticker ticker = Ticker.system();
        RouteTable table = new RouteFactory(THREAD_LOCAL_RANDOM, ticker, Clock.systemUTC()).table(config);
        AtomicReference<RouteTable> routes = new AtomicReference<>(table);
        AtomicBoolean ready = new AtomicBoolean();
        AdminServer admin = new AdminServer(config.admin().host(), config.admin().port(), ready::get);
        // Every instance listens on the same address and Vert.x shares one socket between them. Port 0 would give
        // each instance its own random port; Vert.x's negative "shared random port" gives them one.
        int port = config.listen().port() == 0 ? -1 : config.listen().port();
        List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
        Supplier<ProxyVerticle> proxy = () -> {
            ProxyVerticle verticle = new ProxyVerticle(routes::get, config.listen().host(), port, ticker);
            proxies.add(verticle);
            return verticle;
        };
        Future<Breakwater> started = vertx.deployVerticle(proxy, new DeploymentOptions().setInstances(instances))
                .compose(id -> vertx.deployVerticle(admin))
                .map(id -> {
                    int proxyPort = proxies.get(0).actualPort();
                    ready.set(true);
                    LOG.info("Breakwater listening on {}:{} (admin {}:{}), {} route(s)", config.listen().host(),
                            proxyPort, config.admin().host(), admin.actualPort(), table.routes().size());
                    return new Breakwater(vertx, ownsVertx, routes, ready, proxyPort, admin.actualPort());
                });
        return started.recover(t -> {
            // Report the failure now: once Vert.x closes, its event loops can no longer deliver callbacks.
            LOG.error("Breakwater failed to start: {}", String.valueOf(t), t);
            if (ownsVertx) {
                vertx.close();
            }
            return Future.failedFuture(t);
        });
    }

    /** The proxy's port. */
    public int proxyPort() {
        return proxyPort;
    }

    /** The admin listener's port. */
    public int adminPort() {
        return adminPort;
    }

    /** The live route table. */
    public RouteTable routes() {
        return routes.get();
    }

    /** Stops listening and releases every connection. */
    public Future<Void> close() {
        ready.set(false);
        return ownsVertx ? vertx.close() : Future.succeededFuture();
    }
}
