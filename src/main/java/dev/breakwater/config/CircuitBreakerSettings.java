package dev.breakwater.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The {@code circuit-breaker} section, with Resilience4j's property names, and how it becomes a spec. */
final class CircuitBreakerSettings {
    static final Setting<Boolean> ENABLED = new Setting<>("enabled", true, Readers.bool());
    static final Setting<Double> FAILURE_RATE_THRESHOLD =
            new Setting<>("failure-rate-threshold", 50.0, Readers.decimal(Bound.above("0"), Bound.atMost("100")));
    static final Setting<SlidingWindowType> SLIDING_WINDOW_TYPE = new Setting<>(
            "sliding-window-type",
            SlidingWindowType.COUNT_BASED,
            Readers.oneOf(SlidingWindowType.values(), SlidingWindowType::name));
    // Defaults chosen by simulation (BreakerDefaultsSimulationTest): with a window of 20 and 10 calls, 20 % random
    // failures opened the breaker in 48 of 50 runs of 5,000 calls; with 100 and 40 it never does, while 60 % still
    // opens it within a hundred calls.
    static final Setting<Integer> SLIDING_WINDOW_SIZE =
            new Setting<>("sliding-window-size", 100, Readers.integer(Bound.atLeast("1")));
    static final Setting<Integer> MINIMUM_NUMBER_OF_CALLS =
            new Setting<>("minimum-number-of-calls", 40, Readers.integer(Bound.atLeast("1")));
    static final Setting<Duration> WAIT_DURATION_IN_OPEN_STATE =
            new Setting<>("wait-duration-in-open-state", Duration.ofSeconds(30), Readers.duration(true));
    // 3 probes at a 50 % threshold re-open on 2 failures: 1 round in 10 at 20 % noise; 20 probes, 1 in 400
    static final Setting<Integer> PERMITTED_CALLS_IN_HALF_OPEN_STATE =
            new Setting<>("permitted-number-of-calls-in-half-open-state", 20, Readers.integer(Bound.atLeast("1")));
    static final Setting<Double> SLOW_CALL_RATE_THRESHOLD =
            new Setting<>("slow-call-rate-threshold", 100.0, Readers.decimal(Bound.above("0"), Bound.atMost("100")));
    static final Setting<Duration> SLOW_CALL_DURATION_THRESHOLD =
            new Setting<>("slow-call-duration-threshold", Duration.ofMinutes(10), Readers.duration(true));
    static final Setting<Set<Integer>> RECORD_STATUS =
            new Setting<>("record-status", Set.of(500, 502, 503, 504), Readers.statuses());

    static final SectionSchema SCHEMA = new SectionSchema(
            "circuit-breaker",
            List.of(
                    ENABLED,
                    FAILURE_RATE_THRESHOLD,
                    SLIDING_WINDOW_TYPE,
                    SLIDING_WINDOW_SIZE,
                    MINIMUM_NUMBER_OF_CALLS,
                    WAIT_DURATION_IN_OPEN_STATE,
                    PERMITTED_CALLS_IN_HALF_OPEN_STATE,
                    SLOW_CALL_RATE_THRESHOLD,
                    SLOW_CALL_DURATION_THRESHOLD,
                    RECORD_STATUS),
            layer -> {});

    private CircuitBreakerSettings() {}

    static CircuitBreakerSpec build(Layer layer) {
        return new CircuitBreakerSpec(
                layer.get(ENABLED),
                layer.get(FAILURE_RATE_THRESHOLD).floatValue(),
                layer.get(SLIDING_WINDOW_TYPE),
                layer.get(SLIDING_WINDOW_SIZE),
                layer.get(MINIMUM_NUMBER_OF_CALLS),
                layer.get(WAIT_DURATION_IN_OPEN_STATE),
                layer.get(PERMITTED_CALLS_IN_HALF_OPEN_STATE),
                layer.get(SLOW_CALL_RATE_THRESHOLD).floatValue(),
                layer.get(SLOW_CALL_DURATION_THRESHOLD),
                layer.get(RECORD_STATUS));
    }
}
