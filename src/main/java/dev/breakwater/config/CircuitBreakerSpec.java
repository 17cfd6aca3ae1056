package dev.breakwater.config;

import java.time.Duration;
import java.util.Set;

/**
 * A route's circuit breaker, with Resilience4j's own property names.
 *
 * @param enabled false turns the breaker off for the route (default true)
 * @param failureRateThreshold percent of failed calls that opens the breaker (default 50)
 * @param slidingWindowType count- or time-based window (default COUNT_BASED)
 * @param slidingWindowSize calls (or seconds) in the window (default 100)
 * @param minimumNumberOfCalls calls needed before a rate is computed (default 40)
 * @param waitDurationInOpenState how long the breaker stays open before admitting probes (default 30s)
 * @param permittedNumberOfCallsInHalfOpenState probes admitted while half-open (default 20)
 * @param slowCallRateThreshold percent of slow calls that opens the breaker (default 100)
 * @param slowCallDurationThreshold a call slower than this is slow (default 10m)
 * @param recordStatus upstream statuses recorded as failures (default 500, 502, 503, 504)
 */
public record CircuitBreakerSpec(
        boolean enabled,
        float failureRateThreshold,
        SlidingWindowType slidingWindowType,
        int slidingWindowSize,
        int minimumNumberOfCalls,
        Duration waitDurationInOpenState,
        int permittedNumberOfCallsInHalfOpenState,
        float slowCallRateThreshold,
        Duration slowCallDurationThreshold,
        Set<Integer> recordStatus) {
    public CircuitBreakerSpec {
        recordStatus = Set.copyOf(recordStatus);
    }
}
