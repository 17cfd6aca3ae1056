package dev.breakwater.fleet;

import dev.breakwater.config.FleetSpec;
import dev.breakwater.resilience.BudgetReport;
import dev.breakwater.resilience.BudgetStore;
import dev.breakwater.resilience.FleetLink;
import dev.breakwater.resilience.GateKeys;
import dev.breakwater.resilience.KeyPacer;
import dev.breakwater.resilience.LeasedPacer;
import dev.breakwater.resilience.RateLimitGate;
import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import dev.breakwater.time.VertxScheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet on Redis: what every Breakwater pointing at the same Redis shares.
 *
 * <ul>
 *   <li><b>Closures</b>: a 429 that closes a key here is published on {@code PREFIX:events}; every instance
 *       subscribed closes its own gate for that key (only ever extending a closure). Pushed, not polled.
 *   <li><b>The pacing budget</b>: each key's budget lives in one Redis hash, leased in batches by a Lua script
 *       ({@code budget.lua}) that applies the same rules as a local {@code WindowBudget}; a probe's report that
 *       opens a window is published so that instances waiting for it go at once.
 *   <li><b>Membership</b>: a heartbeat every second in a sorted set, so that an instance knows how many share the
 *       budget when it must pace alone.
 * </ul>
 *
 * <p>Every call has a short timeout, and a circuit breaker ({@link RedisHealth}) around them: once it opens, the
 * gates pace on local state at {@link #fallbackShare()} of the last known budget, without waiting for Redis,
 * until a heartbeat gets through again. Redis holds only hashes of keys and counts: no credential, model or body.
 */
public final class RedisFleet implements FleetLink, BudgetStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisFleet.class);
    private static final long HEARTBEAT_MILLIS = 1_000;
    private static final long MEMBER_TTL_MILLIS = 5_000;
    private static final long RESUBSCRIBE_MILLIS = 1_000;
    /** The timeout of calls until one has succeeded (see {@code warmedUp}). */
    private static final long FIRST_CALL_MILLIS = 3_000;
    /** Closures received for keys no gate has seen yet, kept this long for a gate that sees them later. */
    private static final int MAX_PENDING_CLOSURES = 10_000;

    /**
     * Membership on Redis's clock (instances' clocks may differ), and a message to this instance's own
     * subscription, which proves the subscription is alive.
     */
    private static final String HEARTBEAT_SCRIPT = "local t = redis.call('TIME') "
            + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
            + "redis.call('ZADD', KEYS[1], now, ARGV[1]) "
            + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ARGV[2]) "
            + "redis.call('PEXPIRE', KEYS[1], ARGV[2] * 2) "
            + "redis.call('PUBLISH', ARGV[3], 'h ' .. ARGV[1]) "
            + "return redis.call('ZCARD', KEYS[1])";
    /** A subscription that has not delivered this instance's own heartbeat for this long is made again. */
    private static final long SUBSCRIPTION_SILENCE_MILLIS = 3_500;

    private final Vertx vertx;
    private final FleetSpec spec;
    private final Ticker ticker;
    private final Redis redis;
    /** A client of its own for the subscription, so that it never takes a connection of the pool. */
    private final Redis subscriber;

    private final RedisHealth health;
    private final Scheduler scheduler;
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final String channel;
    private final String budgetScript;
    private final String budgetSha;
    private final String heartbeatSha;
    private final Counter failures;
    private final Counter closuresReceived;
    private final Counter breakerOpeningsReceived;

    private final Map<String, List<Watch>> watches = new ConcurrentHashMap<>();
    private final Map<String, List<WeakReference<LeasedPacer>>> pacers = new ConcurrentHashMap<>();
    /** Closures for keys not (yet) watched here: hash to the ticker time they end. */
    private final Map<String, Long> pendingClosures = new ConcurrentHashMap<>();

    private final RedisIdempotency idempotencyKeys = new RedisIdempotency(this);
    private volatile SharedBreakers sharedBreakers;
    private volatile int members = 1;
    private volatile String lastFailure = "";
    /**
     * False until a call succeeded: the first connection of a cold JVM (class loading, the handshake) can take a
     * few hundred milliseconds, which must not count as Redis being down.
     */
    private volatile boolean warmedUp;

    private volatile RedisConnection subscription;
    private final java.util.concurrent.atomic.AtomicBoolean subscribing =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** When the subscription last delivered this instance's own heartbeat ({@link System#nanoTime}). */
    private volatile long heartbeatSeenNanos = System.nanoTime();

    private volatile boolean closed;
    private long heartbeatTimer = -1;

    /** A gate that holds requests of a key: the key held here, the gate only weakly (a reload replaces it). */
    private record Watch(String key, WeakReference<RateLimitGate> gate) {}

    /**
     * Connects lazily: nothing here waits for Redis, and an unreachable Redis at start only means starting
     * degraded.
     */
    public RedisFleet(Vertx vertx, FleetSpec spec, Ticker ticker, MeterRegistry registry) {
        this.vertx = vertx;
        this.spec = spec;
        this.ticker = ticker;
        this.scheduler = new VertxScheduler(vertx);
        this.channel = spec.keyPrefix() + ":events";
        this.budgetScript = resource("budget.lua");
        this.budgetSha = sha1(budgetScript);
        this.heartbeatSha = sha1(HEARTBEAT_SCRIPT);
        int timeoutMillis = (int) Math.max(1, spec.timeout().toMillis());
        this.redis = Redis.createClient(
                vertx,
                new RedisOptions()
                        .setConnectionString(spec.connectionString())
                        .setMaxPoolSize(4)
                        .setMaxPoolWaiting(256)
                        .setMaxWaitingHandlers(4096)
                        .setPoolRecycleTimeout(15_000)
                        .setNetClientOptions(new NetClientOptions()
                                .setConnectTimeout(Math.max(timeoutMillis, 200))
                                .setTcpNoDelay(true)
                                .setSsl(spec.tls())));
        this.subscriber = Redis.createClient(
                vertx,
                new RedisOptions()
                        .setConnectionString(spec.connectionString())
                        .setMaxPoolSize(1)
                        .setNetClientOptions(new NetClientOptions()
                                .setConnectTimeout(Math.max(timeoutMillis, 200))
                                .setSsl(spec.tls())));
        this.health = new RedisHealth(this::onHealthChange);
        this.failures = Counter.builder("breakwater_fleet_redis_failures_total")
                .description("Redis calls that failed or timed out (fleet mode)")
                .register(registry);
        this.closuresReceived = Counter.builder("breakwater_fleet_closures_received_total")
                .description("Rate-limit closures other instances published and this one applied")
                .register(registry);
        this.breakerOpeningsReceived = Counter.builder("breakwater_fleet_breaker_openings_received_total")
                .description("Breaker openings other instances published (share-breakers) and this one applied")
                .register(registry);
        Gauge.builder("breakwater_fleet_degraded", health, h -> h.healthy() ? 0 : 1)
                .description("1 while Redis is unreachable and rate limits are paced on local state")
                .register(registry);
        Gauge.builder("breakwater_fleet_members", this, f -> f.members)
                .description("Breakwater instances seen alive on the fleet's Redis in the last 5 s")
                .register(registry);
    }

    /**
     * With {@code share-breakers}, tells the others when a breaker of {@code registry} opens here, and opens
     * ours when theirs do.
     */
    public void shareBreakers(io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry registry) {
        if (spec.shareBreakers()) {
            sharedBreakers = new SharedBreakers(registry, (hash, openMillis) -> {
                if (health.healthy()) {
                    call(Request.cmd(Command.PUBLISH).arg(channel).arg("b " + instance + " " + hash + " " + openMillis))
                            .onFailure(t -> {});
                }
            });
        }
    }

    /** Starts the heartbeat and the subscription. */
    public void start() {
        // Load the budget script before traffic needs it: a first call that must fall back from EVALSHA to EVAL
        // on a cold JVM can outlast the call timeout and start the fleet degraded for a second.
        call(Request.cmd(Command.SCRIPT).arg("LOAD").arg(budgetScript)).onFailure(t -> {});
        heartbeat();
        heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MILLIS, id -> heartbeat());
        subscribe();
    }

    /** True while Redis answers. */
    @Override
    public boolean healthy() {
        return health.healthy();
    }

    /** Instances seen alive in the last few seconds, this one included. */
    public int members() {
        return members;
    }

    @Override
    public double fallbackShare() {
        return spec.fallbackShare().orElse(1.0 / Math.max(1, members));
    }

    // ---- FleetLink ----

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public KeyPacer pacer(String key, double headroom, Runnable wake, long nowNanos) {
        String hash = GateKeys.fleetHash(key);
        LeasedPacer pacer = new LeasedPacer(hash, this, headroom, wake, ticker);
        pacers.computeIfAbsent(hash, h -> new CopyOnWriteArrayList<>()).add(new WeakReference<>(pacer));
        return pacer;
    }

    @Override
    public void watch(String key, RateLimitGate gate) {
        String hash = GateKeys.fleetHash(key);
        List<Watch> list = watches.computeIfAbsent(hash, h -> new CopyOnWriteArrayList<>());
        for (Watch w : list) {
            if (w.gate().get() == gate) {
                return;
            }
        }
        list.removeIf(w -> w.gate().get() == null);
        list.add(new Watch(key, new WeakReference<>(gate)));
        Long until = pendingClosures.remove(hash);
        if (until != null) {
            long left = (until - ticker.nanoTime()) / 1_000_000;
            if (left > 0) {
                gate.close(key, left, scheduler);
            }
        }
    }

    @Override
    public void closed(String key, long millis) {
        if (!health.healthy() || millis <= 0) {
            return;
        }
        String message = "c " + instance + " " + GateKeys.fleetHash(key) + " " + millis;
        call(Request.cmd(Command.PUBLISH).arg(channel).arg(message)).onFailure(t -> {});
    }

    // ---- BudgetStore ----

    @Override
    public void take(String hash, LeaseRequest request, BiConsumer<LeaseReply, Throwable> done) {
        evalSha(budgetSha, budgetScript, budgetArgs(hash, "take", request.report(), request.reportWindow(), request))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        done.accept(null, ar.cause());
                        return;
                    }
                    Response r = ar.result();
                    BudgetStore.State state = switch (r.get(0).toString()) {
                        case "L" -> BudgetStore.State.LEASED;
                        case "P" -> BudgetStore.State.PROBE;
                        case "W" -> BudgetStore.State.WAIT;
                        default -> BudgetStore.State.UNKNOWN;
                    };
                    done.accept(
                            new LeaseReply(
                                    state,
                                    r.get(1).toInteger(),
                                    r.get(2).toLong(),
                                    r.get(3).toLong(),
                                    r.get(4).toLong()),
                            null);
                });
    }

    @Override
    public void report(String hash, BudgetReport report, long window) {
        evalSha(budgetSha, budgetScript, budgetArgs(hash, "report", report, window, null))
                .onFailure(t -> {});
    }

    /** The budget script's key and arguments, in the order its header in {@code budget.lua} lists them. */
    private List<String> budgetArgs(String hash, String mode, BudgetReport report, long window, LeaseRequest request) {
        boolean has = report != null && !report.isEmpty();
        BudgetReport r = has ? report : BudgetReport.NONE;
        // A lease request's report is only ever a real one; a probe's may say it learned nothing, or failed.
        String reportFlag =
                has ? "1" : !"report".equals(mode) ? "0" : BudgetReport.FAILED.equals(report) ? "failed" : "none";
        return List.of(
                spec.keyPrefix() + ":b:" + hash,
                mode,
                Double.toString(request == null ? 0 : request.headroom()),
                Long.toString(BudgetStore.PROBE_TIMEOUT_MILLIS),
                Long.toString(request == null ? 0 : request.requests()),
                Long.toString(request == null ? 0 : request.tokens()),
                Long.toString(request == null ? 0 : request.tokensPerRequest()),
                reportFlag,
                Long.toString(r.requestLimit()),
                Long.toString(r.requestsRemaining()),
                Long.toString(r.requestsResetMillis()),
                Long.toString(r.tokenLimit()),
                Long.toString(r.tokensRemaining()),
                Long.toString(r.tokensResetMillis()),
                Long.toString(window),
                channel,
                hash);
    }

    /**
     * EVALSHA of a script with one key (the first of {@code args}; each a {@code String} or, for binary values, a
     * {@code Buffer}), loading it on NOSCRIPT, under the breaker and timeout of every fleet call.
     */
    Future<Response> eval(String sha, String script, List<Object> args) {
        Request bySha = Request.cmd(Command.EVALSHA).arg(sha).arg(1);
        args.forEach(a -> addArg(bySha, a));
        return call(bySha).recover(t -> {
            if (t.getMessage() == null || !t.getMessage().startsWith("NOSCRIPT")) {
                return Future.failedFuture(t);
            }
            Request eval = Request.cmd(Command.EVAL).arg(script).arg(1);
            args.forEach(a -> addArg(eval, a));
            return call(eval);
        });
    }

    private static void addArg(Request request, Object arg) {
        if (arg instanceof io.vertx.core.buffer.Buffer buffer) {
            request.arg(buffer);
        } else {
            request.arg(arg.toString());
        }
    }

    /** The prefix of every key this fleet keeps in Redis. */
    String keyPrefix() {
        return spec.keyPrefix();
    }

    @Override
    public java.util.Optional<dev.breakwater.resilience.SharedKeys> idempotencyKeys() {
        return java.util.Optional.of(idempotencyKeys);
    }

    /** EVALSHA of a script with one key (the first of {@code keyAndArgs}), loading it on NOSCRIPT. */
    private Future<Response> evalSha(String sha, String script, List<String> keyAndArgs) {
        return eval(sha, script, List.copyOf(keyAndArgs));
    }

    /**
     * One Redis call under the breaker and the timeout. A refused call (breaker open) fails at once; a Redis
     * error reply is an answer, not a failure of Redis.
     */
    private Future<Response> call(Request request) {
        if (closed) {
            return failLater("fleet closed");
        }
        if (!health.tryAcquire()) {
            return failLater("Redis unreachable (fleet degraded)");
        }
        long start = System.nanoTime();
        long timeoutMillis =
                warmedUp ? spec.timeout().toMillis() : Math.max(spec.timeout().toMillis(), FIRST_CALL_MILLIS);
        return redis.send(request).timeout(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(ar -> {
            long nanos = System.nanoTime() - start;
            if (ar.succeeded() || isErrorReply(ar.cause())) {
                warmedUp = true;
                health.onSuccess(nanos);
            } else {
                failures.increment();
                lastFailure = String.valueOf(ar.cause().getMessage());
                health.onError(nanos, ar.cause());
            }
        });
    }

    /**
     * A failure delivered on a later turn of the loop, never inline: a caller may hold locks (a gate's key, a
     * pacer) that its continuation must not run under.
     */
    private Future<Response> failLater(String message) {
        io.vertx.core.Promise<Response> promise = io.vertx.core.Promise.promise();
        vertx.runOnContext(v -> promise.fail(message));
        return promise.future();
    }

    private static boolean isErrorReply(Throwable t) {
        return t instanceof io.vertx.redis.client.impl.types.ErrorType;
    }

    // ---- heartbeat, subscription ----

    private void heartbeat() {
        if (closed) {
            return;
        }
        evalSha(
                        heartbeatSha,
                        HEARTBEAT_SCRIPT,
                        List.of(spec.keyPrefix() + ":members", instance, Long.toString(MEMBER_TTL_MILLIS), channel))
                .onSuccess(r -> members = Math.max(1, r.toInteger()));
        RedisConnection sub = subscription;
        if (sub != null
                && health.healthy()
                && System.nanoTime() - heartbeatSeenNanos > SUBSCRIPTION_SILENCE_MILLIS * 1_000_000L) {
            // Half-open after a partition, or silently unsubscribed: make it again.
            dropSubscription(sub);
        } else if (sub == null && health.healthy()) {
            subscribe();
        }
    }

    private void subscribe() {
        if (closed || subscription != null || !subscribing.compareAndSet(false, true)) {
            return;
        }
        subscriber
                .connect()
                .timeout(Math.max(spec.timeout().toMillis(), 1_000), TimeUnit.MILLISECONDS)
                .onFailure(t -> subscribing.set(false))
                .onSuccess(conn -> {
                    subscribing.set(false);
                    if (closed || subscription != null) {
                        conn.close();
                        return;
                    }
                    subscription = conn;
                    heartbeatSeenNanos = System.nanoTime();
                    conn.handler(this::onMessage);
                    conn.exceptionHandler(t -> dropSubscription(conn));
                    conn.endHandler(v -> dropSubscription(conn));
                    conn.send(Request.cmd(Command.SUBSCRIBE).arg(channel)).onFailure(t -> dropSubscription(conn));
                });
    }

    private void dropSubscription(RedisConnection conn) {
        if (subscription == conn) {
            subscription = null;
            conn.close();
            if (!closed) {
                vertx.setTimer(RESUBSCRIBE_MILLIS, id -> subscribe());
            }
        }
    }

    private void onMessage(Response message) {
        // RESP2 delivers ["message", channel, payload]; RESP3 the same as a push.
        if (message == null
                || message.size() < 3
                || !"message".equals(message.get(0).toString())) {
            return;
        }
        String[] parts = message.get(2).toString().split(" ");
        if (parts.length == 2 && parts[0].equals("h")) {
            if (parts[1].equals(instance)) {
                heartbeatSeenNanos = System.nanoTime();
            }
            return;
        }
        if (parts.length == 4 && parts[0].equals("c") && !parts[1].equals(instance)) {
            onClosure(parts[2], Long.parseLong(parts[3]));
        } else if (parts.length == 2 && parts[0].equals("o")) {
            onWindowOpened(parts[1]);
        } else if (parts.length == 4 && parts[0].equals("b") && !parts[1].equals(instance)) {
            SharedBreakers breakers = sharedBreakers;
            if (breakers != null) {
                breakerOpeningsReceived.increment();
                breakers.opened(parts[2], Long.parseLong(parts[3]));
            }
        }
    }

    private void onClosure(String hash, long millis) {
        closuresReceived.increment();
        List<Watch> list = watches.get(hash);
        boolean delivered = false;
        if (list != null) {
            for (Watch w : list) {
                RateLimitGate gate = w.gate().get();
                if (gate != null) {
                    gate.close(w.key(), millis, scheduler);
                    delivered = true;
                }
            }
        }
        long now = ticker.nanoTime();
        pendingClosures.values().removeIf(until -> until - now <= 0);
        if (!delivered && pendingClosures.size() < MAX_PENDING_CLOSURES) {
            pendingClosures.merge(hash, now + millis * 1_000_000L, Math::max);
        }
    }

    private void onWindowOpened(String hash) {
        List<WeakReference<LeasedPacer>> list = pacers.get(hash);
        if (list == null) {
            return;
        }
        for (WeakReference<LeasedPacer> ref : list) {
            LeasedPacer pacer = ref.get();
            if (pacer != null) {
                pacer.windowOpened();
            }
        }
        list.removeIf(ref -> ref.get() == null);
    }

    /** Degraded or back: one log line, and every waiting key looks again (at local state, or at Redis). */
    private void onHealthChange(boolean nowHealthy) {
        if (nowHealthy) {
            LOG.info("fleet: Redis {}:{} reachable again; sharing rate limits", spec.host(), spec.port());
        } else {
            LOG.warn(
                    "fleet: Redis {}:{} unreachable ({}); pacing on local state at {} of each budget until it is back",
                    spec.host(),
                    spec.port(),
                    lastFailure,
                    String.format(java.util.Locale.ROOT, "%.2f", fallbackShare()));
        }
        pacers.values()
                .forEach(list -> list.forEach(ref -> {
                    LeasedPacer pacer = ref.get();
                    if (pacer != null) {
                        pacer.windowOpened();
                    }
                }));
    }

    @Override
    public void close() {
        closed = true;
        if (heartbeatTimer >= 0) {
            vertx.cancelTimer(heartbeatTimer);
        }
        RedisConnection sub = subscription;
        if (sub != null) {
            sub.close();
        }
        redis.close();
        subscriber.close();
    }

    static String resource(String name) {
        try (InputStream in = RedisFleet.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha1(String script) {
        try {
            byte[] digest =
                    java.security.MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
