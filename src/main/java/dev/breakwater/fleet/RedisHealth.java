package dev.breakwater.fleet;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The circuit breaker around Redis (a Resilience4j breaker): after a few failed or timed-out calls it opens and
 * the fleet runs degraded, on local state, without calling Redis on the request path; a second later the next
 * heartbeat is let through as a probe, and one that succeeds closes it again. Tells its listener once per change
 * between healthy and degraded.
 */
final class RedisHealth {
    private final CircuitBreaker breaker;

    RedisHealth(Consumer<Boolean> onChange) {
        this.breaker = CircuitBreaker.of(
                "fleet-redis",
                CircuitBreakerConfig.custom()
                        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                        // Two failures among the last four calls open it: with heartbeats alone, two seconds.
                        .slidingWindowSize(4)
                        .minimumNumberOfCalls(2)
                        .failureRateThreshold(50)
                        .waitDurationInOpenState(Duration.ofSeconds(1))
                        .permittedNumberOfCallsInHalfOpenState(1)
                        .recordExceptions(Throwable.class)
                        .build());
        breaker.getEventPublisher().onStateTransition(event -> {
            boolean wasHealthy = event.getStateTransition().getFromState() == CircuitBreaker.State.CLOSED;
            boolean isHealthy = event.getStateTransition().getToState() == CircuitBreaker.State.CLOSED;
            if (wasHealthy != isHealthy) {
                onChange.accept(isHealthy);
            }
        });
    }

    /** True while the breaker is closed: the request path may use Redis. */
    boolean healthy() {
        return breaker.getState() == CircuitBreaker.State.CLOSED;
    }

    /** May a call go now? (Half-open lets one probe through.) */
    boolean tryAcquire() {
        return breaker.tryAcquirePermission();
    }

    void onSuccess(long nanos) {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }

    void onError(long nanos, Throwable cause) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, cause);
    }
}
