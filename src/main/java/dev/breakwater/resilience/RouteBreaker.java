package dev.breakwater.resilience;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A route's circuit breaker: a Resilience4j {@link CircuitBreaker} driven without blocking, one permission per
 * upstream attempt.
 *
 * <p>Failures are the statuses in {@code record-status}, connect failures, resets, per-attempt timeouts, slow
 * calls and streams broken mid-body. A 4xx (429 included: back-pressure, which the rate-limit gate handles), a
 * client that went away and a request refused locally are never failures. Transitions from open to half-open are
 * lazy (no scheduler thread): the first attempt after the wait finds the breaker half-open.
 *
 * <p>Shared by all event loops of a route; Resilience4j's breaker is thread-safe.
 */
public final class RouteBreaker {
    private static final Logger LOG = LoggerFactory.getLogger("breakwater.breaker");

    private final String route;
    private final CircuitBreaker breaker;
    private final Clock clock;
    private final long waitInOpenMillis;
    private volatile long openUntilMillis;

    /**
     * A breaker registered in {@code registry} (replacing one of the same name), so its metrics are exported.
     *
     * @param clock the clock the breaker measures its open wait, time-based windows and call durations with
     * @param registry where the breaker is registered
     */
    public RouteBreaker(String route, CircuitBreakerSpec spec, Clock clock, CircuitBreakerRegistry registry) {
        this(route, (String) null, spec, clock, registry);
    }

    /**
     * The breaker of one model on route {@code route} (null {@code model}: the route's own breaker). It is named
     * {@code route[model]}; its metrics are labelled with the plain route and the model ({@code none} for the
     * route's own), so a dashboard selects a route's breakers by route and tells them apart by model.
     */
    public RouteBreaker(
            String route, String model, CircuitBreakerSpec spec, Clock clock, CircuitBreakerRegistry registry) {
        this(
                model == null ? route : route + "[" + model + "]",
                Map.of("route", route, "model", model == null ? "none" : model),
                spec,
                clock,
                registry);
    }

    private RouteBreaker(
            String name,
            Map<String, String> tags,
            CircuitBreakerSpec spec,
            Clock clock,
            CircuitBreakerRegistry registry) {
        String route = name;
        this.route = name;
        this.clock = clock;
        this.waitInOpenMillis = spec.waitDurationInOpenState().toMillis();
        Set<Integer> recordStatus = spec.recordStatus();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(spec.failureRateThreshold())
                // Synchronized, not Resilience4j's lock-free window: that one allocates a node per call in a linked
                // chain and never clears a dropped node's next link, so once one node is promoted to the old
                // generation (a full collection, or a young one whose survivors overflow) every later node stays
                // reachable from it until the next full collection: ~300 KB more survivors per young pause,
                // which tripled Serial's pauses (BENCHMARKS.md, fifth issue-16 section). The lock is held for
                // an array update and is uncontended nearly always.
                .slidingWindow(
                        spec.slidingWindowSize(),
                        spec.minimumNumberOfCalls(),
                        spec.slidingWindowType() == SlidingWindowType.TIME_BASED
                                ? CircuitBreakerConfig.SlidingWindowType.TIME_BASED
                                : CircuitBreakerConfig.SlidingWindowType.COUNT_BASED,
                        CircuitBreakerConfig.SlidingWindowSynchronizationStrategy.SYNCHRONIZED)
                .waitDurationInOpenState(spec.waitDurationInOpenState())
                .permittedNumberOfCallsInHalfOpenState(spec.permittedNumberOfCallsInHalfOpenState())
                .slowCallRateThreshold(spec.slowCallRateThreshold())
                .slowCallDurationThreshold(spec.slowCallDurationThreshold())
                .recordResult(result -> result instanceof Integer status && recordStatus.contains(status))
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .clock(clock)
                .currentTimestampFunction(c -> c.millis(), TimeUnit.MILLISECONDS)
                .build();
        registry.remove(route);
        this.breaker = registry.circuitBreaker(route, config, tags);
        breaker.getEventPublisher().onStateTransition(event -> {
            CircuitBreaker.State to = event.getStateTransition().getToState();
            if (to == CircuitBreaker.State.OPEN) {
                openUntilMillis = clock.millis() + waitInOpenMillis;
            }
            LOG.info(
                    "circuit_breaker_transition",
                    kv("route", route),
                    kv("from", event.getStateTransition().getFromState().name()),
                    kv("to", to.name()),
                    kv("failure_rate", breaker.getMetrics().getFailureRate()),
                    kv("slow_call_rate", breaker.getMetrics().getSlowCallRate()));
        });
    }

    /** The Resilience4j breaker, for metrics and the admin API. */
    public CircuitBreaker circuitBreaker() {
        return breaker;
    }

    /** The route's name. */
    public String route() {
        return route;
    }

    /** Asks to send one attempt; null when the breaker refuses (open, or half-open with every probe out). */
    public Permit tryAcquire() {
        return breaker.tryAcquirePermission() ? new Permit(breaker.getCurrentTimestamp()) : null;
    }

    /**
     * True when the breaker is open now, so a retry loop should stop instead of scheduling another attempt.
     * Resilience4j admits the first probe only once the clock is strictly after the end of the wait, so the
     * breaker is still open at that very instant.
     */
    public boolean isOpen() {
        CircuitBreaker.State state = breaker.getState();
        return (state == CircuitBreaker.State.OPEN && clock.millis() <= openUntilMillis)
                || state == CircuitBreaker.State.FORCED_OPEN;
    }

    /**
     * Milliseconds until an open breaker lets its first probe through, for the status page: 0 once the wait is
     * over (transitions are lazy, so the next attempt finds it half-open); -1 when it is not {@code OPEN}.
     */
    public long millisUntilHalfOpen() {
        if (breaker.getState() != CircuitBreaker.State.OPEN) {
            return -1;
        }
        return Math.max(0, openUntilMillis - clock.millis());
    }

    /** True when an operator forced the breaker open (it stays open until closed or reset). */
    public boolean isForcedOpen() {
        return breaker.getState() == CircuitBreaker.State.FORCED_OPEN;
    }

    /** Whole seconds until the breaker admits a probe, at least 1, for a {@code Retry-After} header. */
    public long retryAfterSeconds() {
        long left =
                breaker.getState() == CircuitBreaker.State.OPEN ? openUntilMillis - clock.millis() : waitInOpenMillis;
        return Math.max(1, (left + 999) / 1000);
    }

    /** A stream that had been recorded at its headers broke mid-body: one more failure. */
    public void onStreamBroken(Throwable cause) {
        breaker.onError(0, TimeUnit.MILLISECONDS, cause);
    }

    /**
     * One acquired permission. Exactly one of {@link #onResponse}, {@link #onFailure} or {@link #release} takes
     * effect; later calls do nothing, so cancellation paths can always release without double counting.
     * Confined to the request's event loop.
     */
    public final class Permit {
        private final long startTimestamp;
        private boolean settled;

        private Permit(long startTimestamp) {
            this.startTimestamp = startTimestamp;
        }

        /** The upstream answered with {@code status} (headers received). */
        public void onResponse(int status) {
            if (settle()) {
                breaker.onResult(elapsed(), breaker.getTimestampUnit(), status);
            }
        }

        /** The attempt failed before headers: connect failure, reset or timeout. */
        public void onFailure(Throwable cause) {
            if (settle()) {
                breaker.onError(elapsed(), breaker.getTimestampUnit(), cause);
            }
        }

        /** The attempt was abandoned without an outcome (client gone, deadline): not a success, not a failure. */
        public void release() {
            if (settle()) {
                breaker.releasePermission();
            }
        }

        private boolean settle() {
            if (settled) {
                return false;
            }
            settled = true;
            return true;
        }

        private long elapsed() {
            return breaker.getCurrentTimestamp() - startTimestamp;
        }
    }
}
