package dev.breakwater;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.breakwater.admin.AdminContext;
import dev.breakwater.admin.AdminServer;
import dev.breakwater.admin.InstanceStatus;
import dev.breakwater.admin.MetricsServer;
import dev.breakwater.admin.ReloadResult;
import dev.breakwater.config.BreakwaterConfig;
import dev.breakwater.config.ConfigException;
import dev.breakwater.config.ConfigLoader;
import dev.breakwater.config.ConfigWatcher;
import dev.breakwater.fleet.RedisFleet;
import dev.breakwater.observability.LoggingSetup;
import dev.breakwater.observability.Metrics;
import dev.breakwater.observability.RecentDecisions;
import dev.breakwater.observability.Tracing;
import dev.breakwater.observability.TracingSettings;
import dev.breakwater.proxy.ProxyShared;
import dev.breakwater.proxy.ProxyVerticle;
import dev.breakwater.proxy.ReplayMemory;
import dev.breakwater.resilience.FleetLink;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.routing.RouteFactory;
import dev.breakwater.routing.RouteTable;
import dev.breakwater.time.Ticker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Breakwater: the proxy listener (one verticle per event loop), the admin listener, the live route
 * table, hot reload and graceful shutdown. {@link #start} is what {@code Main} and the integration tests use.
 */
public final class Breakwater {
    private static final Logger LOG = LoggerFactory.getLogger(Breakwater.class);
    private static final long GATE_SWEEP_MILLIS = 60_000;
    /** Jitter for every route; event loops share it, so each thread draws from its own generator. */
    private static final RandomGenerator THREAD_LOCAL_RANDOM =
            () -> ThreadLocalRandom.current().nextLong();

    private final Vertx vertx;
    private final Metrics metrics;
    private final RouteFactory factory;
    /** The Redis shared with other instances, when {@code fleet:} is configured. */
    private final Optional<RedisFleet> fleet;
    /** Spans of requests and attempts; fixed at start, like the listeners. */
    private final Tracing tracing;

    private final AtomicReference<RouteTable> routes;
    /** The configuration the listeners started with: listeners, token, grace and limits change on restart only. */
    private final BreakwaterConfig startup;

    private final AtomicBoolean ready = new AtomicBoolean();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Optional<Path> configFile;
    private final Map<String, String> env;
    /** Version, start, configuration file and last reload, for {@code /admin/status}. */
    private final InstanceStatus status;

    private ConfigWatcher watcher;
    private String proxyDeployment;
    private int proxyPort;
    private int adminPort;
    /** The metrics-only listener's port, 0 when {@code metrics:} is not configured. */
    private int metricsPort;

    private Breakwater(
            Vertx vertx,
            Metrics metrics,
            BreakwaterConfig config,
            Optional<Path> configFile,
            Map<String, String> env,
            Tracing tracing) {
        this.vertx = vertx;
        this.tracing = tracing;
        this.metrics = metrics;
        this.configFile = configFile;
        this.env = env;
        this.fleet = config.fleet().map(spec -> new RedisFleet(vertx, spec, Ticker.system(), metrics.registry()));
        this.factory = new RouteFactory(
                THREAD_LOCAL_RANDOM,
                Ticker.system(),
                Clock.systemUTC(),
                metrics,
                fleet.<FleetLink>map(f -> f).orElse(FleetLink.LOCAL));
        this.startup = config;
        this.status = new InstanceStatus(Main.version(), configFile, Clock.systemUTC());
        this.routes = new AtomicReference<>(factory.table(config));
    }

    /** Starts Breakwater for {@code config}, with no file to reload from. */
    public static Future<Breakwater> start(BreakwaterConfig config) {
        return start(config, Optional.empty(), Map.of());
    }

    /**
     * Starts Breakwater on a Vert.x instance of its own, one event loop per core, with Vert.x's defaults otherwise.
     *
     * @param configFile the file {@code config} came from, watched for edits and re-read by {@code /admin/reload}
     * @param env the environment for {@code ${VAR}} in reloaded files and the logging overrides
     */
    public static Future<Breakwater> start(
            BreakwaterConfig config, Optional<Path> configFile, Map<String, String> env) {
        return start(config, configFile, env, new VertxOptions());
    }

    /**
     * Starts Breakwater as {@link #start(BreakwaterConfig, Optional, Map)} does, on Vert.x options copied from
     * {@code base}: Breakwater sets the event-loop count, native transport and metrics, and takes the rest (the
     * blocked-thread checker's interval and limits, say) from {@code base}. The integration tests pass a tight
     * event-loop time limit here so that a blocked event loop fails them.
     */
    public static Future<Breakwater> start(
            BreakwaterConfig config, Optional<Path> configFile, Map<String, String> env, VertxOptions base) {
        LoggingSetup.apply(config.logging(), env);
        Optional<TracingSettings> tracingSettings;
        try {
            tracingSettings = TracingSettings.resolve(config.tracing(), env);
        } catch (IllegalArgumentException e) {
            LOG.error("Breakwater failed to start: {}", e.getMessage());
            return Future.failedFuture(e);
        }
        Tracing tracing =
                tracingSettings.map(s -> Tracing.start(s, Main.version())).orElse(Tracing.OFF);
        Metrics metrics = tracing == Tracing.OFF
                ? new Metrics(Ticker.system(), config.metrics().maxModels())
                : Metrics.withExemplars(Ticker.system(), config.metrics().maxModels());
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        Vertx vertx = Vertx.builder()
                .with(new VertxOptions(base)
                        .setEventLoopPoolSize(loops)
                        .setPreferNativeTransport(true)
                        // Requests and upstream calls are measured per route by Breakwater itself; Vert.x's
                        // HTTP and socket meters would repeat them at a cost on every request (they register
                        // tagged meters per request). Its pool and verticle meters stay.
                        .setMetricsOptions(new MicrometerMetricsOptions()
                                .setEnabled(true)
                                .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
                                .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
                                .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
                                .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
                                .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)))
                .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
                .build();
        Breakwater breakwater = new Breakwater(vertx, metrics, config, configFile, env, tracing);
        return breakwater.deploy(loops).recover(t -> {
            // Report the failure now: once Vert.x closes, its event loops can no longer deliver callbacks.
            LOG.error("Breakwater failed to start: {}", String.valueOf(t), t);
            vertx.close();
            tracing.shutdown();
            return Future.failedFuture(t);
        });
    }

    private Future<Breakwater> deploy(int instances) {
        BreakwaterConfig current = startup;
        fleet.ifPresent(f -> {
            f.shareBreakers(metrics.breakers());
            f.start();
            // Encode the admin view once here, off the event loop: Jackson's first look at its types takes long.
            fleetView().encode();
        });
        // The rate-limit gates are shared by the event loops: one sweep forgets keys whose windows ended long ago.
        vertx.setPeriodic(
                GATE_SWEEP_MILLIS,
                id -> routes.get()
                        .routes()
                        .forEach(route ->
                                route.guard().upstreams().forEach(u -> u.gate().ifPresent(RateLimitGate::forgetIdle))));
        RecentDecisions decisions = new RecentDecisions(Clock.systemUTC());
        // Every instance listens on the same address and Vert.x shares one socket between them. Port 0 would give
        // each instance its own random port; Vert.x's negative "shared random port" gives them one.
        int port = current.listen().port() == 0 ? -1 : current.listen().port();
        int maxConnections = current.limits().effectiveMaxConnections(descriptorLimit());
        ReplayMemory replayMemory = new ReplayMemory(
                current.limits().effectiveMaxBufferedBodies(Runtime.getRuntime().maxMemory()));
        metrics.replayMemory(replayMemory::used, replayMemory.limit());
        ProxyShared shared = new ProxyShared(
                routes::get,
                draining::get,
                Ticker.system(),
                decisions,
                current.shutdownGrace(),
                current.limits(),
                maxConnections,
                instances,
                replayMemory,
                tracing);
        List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
        Supplier<ProxyVerticle> proxy = () -> {
            ProxyVerticle verticle = new ProxyVerticle(shared, current.listen().host(), port);
            proxies.add(verticle);
            return verticle;
        };
        AdminServer admin = new AdminServer(
                current.admin().host(),
                current.admin().port(),
                new AdminContext(
                        ready::get,
                        routes::get,
                        metrics,
                        decisions,
                        this::reload,
                        current.adminToken(),
                        this::fleetView,
                        status));
        Optional<MetricsServer> metricsListener =
                current.metrics().listen().map(address -> new MetricsServer(address.host(), address.port(), metrics));
        return vertx.deployVerticle(proxy, new DeploymentOptions().setInstances(instances))
                .compose(id -> {
                    proxyDeployment = id;
                    return vertx.deployVerticle(admin);
                })
                .compose(id -> metricsListener.map(m -> vertx.deployVerticle(m)).orElse(Future.succeededFuture(id)))
                .map(id -> {
                    proxyPort = proxies.get(0).actualPort();
                    adminPort = admin.actualPort();
                    metricsPort = metricsListener.map(MetricsServer::actualPort).orElse(0);
                    configFile.ifPresent(file -> {
                        watcher = new ConfigWatcher(vertx, file, () -> reload());
                        watcher.start();
                    });
                    ready.set(true);
                    LOG.info(
                            "Breakwater listening on {}:{} (admin {}:{}{}), {} route(s), {} transport, "
                                    + "max {} connections, {} MiB for buffered bodies",
                            current.listen().host(),
                            proxyPort,
                            current.admin().host(),
                            adminPort,
                            current.metrics()
                                    .listen()
                                    .map(address -> ", metrics " + address.host() + ":" + metricsPort)
                                    .orElse(""),
                            routes.get().routes().size(),
                            vertx.isNativeTransportEnabled() ? "epoll" : "nio",
                            maxConnections,
                            replayMemory.limit() >> 20);
                    return this;
                });
    }

    /** The process's file-descriptor limit, or a conservative guess where the JVM cannot tell. */
    private static long descriptorLimit() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return 4096;
    }

    /**
     * Re-reads the configuration file and, if it is valid, swaps the route table atomically: requests in flight
     * finish under the routes they started with, and unchanged routes keep their breakers. An invalid file
     * changes nothing; each problem is logged with its YAML path.
     */
    public Future<ReloadResult> reload() {
        if (configFile.isEmpty()) {
            return Future.succeededFuture(new ReloadResult(false, List.of(), "no configuration file to reload"));
        }
        Path file = configFile.get();
        return vertx.executeBlocking(
                        () -> {
                            try {
                                return new ConfigLoader(env).load(file);
                            } catch (ConfigException e) {
                                throw new InvalidReload(e.problems());
                            }
                        },
                        false)
                .map(this::apply)
                .recover(t -> {
                    List<String> problems =
                            t instanceof InvalidReload invalid ? invalid.problems : List.of(t.toString());
                    metrics.reload(false);
                    problems.forEach(problem -> LOG.warn("config_reload_rejected {}", kv("problem", problem)));
                    return Future.succeededFuture(new ReloadResult(
                            false,
                            problems,
                            "configuration " + file + " is invalid; the running configuration is unchanged"));
                })
                .onSuccess(status::reloaded);
    }

    private synchronized ReloadResult apply(BreakwaterConfig next) {
        BreakwaterConfig previous = startup;
        RouteTable old = routes.get();
        routes.set(factory.table(next, Optional.of(old)));
        LoggingSetup.apply(next.logging(), env);
        metrics.reload(true);
        List<String> notes = new ArrayList<>();
        if (!previous.listen().equals(next.listen())
                || !previous.admin().equals(next.admin())
                || !previous.adminToken().equals(next.adminToken())
                || !previous.shutdownGrace().equals(next.shutdownGrace())
                || !previous.limits().equals(next.limits())
                || !previous.fleet().equals(next.fleet())
                || !previous.metrics().equals(next.metrics())) {
            notes.add("listen, admin, admin-token, metrics, shutdown-grace, limits and fleet changes take effect"
                    + " after a restart");
        }
        if (!previous.tracing().equals(next.tracing())) {
            notes.add("tracing changes take effect after a restart");
        }
        String summary = "configuration reloaded: " + next.routes().size() + " route(s)"
                + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
        LOG.info("config_reloaded {} {}", kv("routes", next.routes().size()), kv("summary", summary));
        return new ReloadResult(true, List.of(), summary);
    }

    /**
     * Drains and stops: {@code /readyz} turns 503 at once, new requests are refused, requests and streams in
     * flight run to completion up to {@code shutdown-grace}, then everything closes.
     */
    public CompletableFuture<Void> shutdown() {
        ready.set(false);
        draining.set(true);
        if (watcher != null) {
            watcher.stop();
        }
        LOG.info("shutting_down {}", kv("grace_ms", startup.shutdownGrace().toMillis()));
        CompletableFuture<Void> drained = proxyDeployment == null
                ? CompletableFuture.completedFuture(null)
                : vertx.undeploy(proxyDeployment).toCompletionStage().toCompletableFuture();
        // Close from a thread outside Vert.x: a close started on an event loop cannot report back on it.
        return drained.exceptionally(t -> null)
                .thenRun(() -> fleet.ifPresent(RedisFleet::close))
                // The spans of the requests just drained are exported before the process goes.
                .thenCompose(v -> tracing.shutdown())
                .thenComposeAsync(v -> vertx.close().toCompletionStage().toCompletableFuture());
    }

    /** The fleet's state for {@code /admin/fleet} and the status page. */
    private JsonObject fleetView() {
        if (fleet.isEmpty()) {
            return new JsonObject().put("mode", "off");
        }
        RedisFleet f = fleet.get();
        return new JsonObject()
                .put("mode", f.healthy() ? "shared" : "degraded")
                .put(
                        "redis",
                        startup.fleet().orElseThrow().host() + ":"
                                + startup.fleet().orElseThrow().port())
                .put("members", f.members())
                .put("fallback-share", f.fallbackShare());
    }

    /** The proxy's port. */
    public int proxyPort() {
        return proxyPort;
    }

    /** The admin listener's port. */
    public int adminPort() {
        return adminPort;
    }

    /** The metrics-only listener's port, 0 when {@code metrics:} is not configured. */
    public int metricsPort() {
        return metricsPort;
    }

    /** The live route table. */
    public RouteTable routes() {
        return routes.get();
    }

    /** Stops at once, without draining. */
    public Future<Void> close() {
        ready.set(false);
        if (watcher != null) {
            watcher.stop();
        }
        return vertx.close().eventually(() -> Future.fromCompletionStage(tracing.shutdown()));
    }

    /** A reload refused because the file is invalid. */
    private static final class InvalidReload extends RuntimeException {
        private final transient List<String> problems;

        InvalidReload(List<String> problems) {
            super("invalid configuration", null, false, false);
            this.problems = problems;
        }
    }
}
