package dev.breakwater.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The {@code retry} section: its table of keys, its cross-checks and how it becomes a {@link RetrySpec}. */
final class RetrySettings {
    static final Setting<Integer> MAX_ATTEMPTS =
            new Setting<>("max-attempts", 3, Readers.integer(Bound.atLeast("1"), Bound.atMost("100")));
    static final Setting<Duration> WAIT_DURATION =
            new Setting<>("wait-duration", Duration.ofMillis(500), Readers.duration(false));
    static final Setting<Double> BACKOFF_MULTIPLIER =
            new Setting<>("exponential-backoff-multiplier", 2.0, Readers.decimal(Bound.atLeast("1")));
    static final Setting<Duration> MAX_WAIT_DURATION =
            new Setting<>("exponential-max-wait-duration", Duration.ofSeconds(20), Readers.duration(false));
    static final Setting<Double> RANDOMIZED_WAIT_FACTOR =
            new Setting<>("randomized-wait-factor", 0.5, Readers.decimal(Bound.atLeast("0"), Bound.below("1")));
    static final Setting<Set<Integer>> RETRY_ON_STATUS =
            new Setting<>("retry-on-status", Set.of(408, 429, 500, 502, 503, 504), Readers.statuses());
    static final Setting<Set<String>> RETRY_METHODS =
            new Setting<>("retry-methods", Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"), Readers.methods());
    static final Setting<Duration> MAX_RETRY_AFTER =
            new Setting<>("max-retry-after", Duration.ofSeconds(60), Readers.duration(false));
    static final Setting<Long> MAX_REPLAY_BODY = new Setting<>("max-replay-body", 8L << 20, Readers.size());

    static final Setting<Boolean> SEND_X_SHOULD_RETRY = new Setting<>("send-x-should-retry", true, Readers.bool());
    static final Setting<Boolean> RATE_LIMIT_GATE = new Setting<>("rate-limit-gate", true, Readers.bool());

    static final SectionSchema SCHEMA = new SectionSchema(
            "retry",
            List.of(
                    MAX_ATTEMPTS,
                    WAIT_DURATION,
                    BACKOFF_MULTIPLIER,
                    MAX_WAIT_DURATION,
                    RANDOMIZED_WAIT_FACTOR,
                    RETRY_ON_STATUS,
                    RETRY_METHODS,
                    MAX_RETRY_AFTER,
                    MAX_REPLAY_BODY,
                    SEND_X_SHOULD_RETRY,
                    RATE_LIMIT_GATE),
            RetrySettings::check);

    private RetrySettings() {}

    /** The backoff cap must not be below the first backoff; reported at whichever of the two this level set. */
    private static void check(Layer layer) {
        Duration wait = layer.get(WAIT_DURATION);
        Duration max = layer.get(MAX_WAIT_DURATION);
        if (max.compareTo(wait) >= 0) {
            return;
        }
        layer.setHere(MAX_WAIT_DURATION)
                .ifPresentOrElse(
                        v -> v.reject(">= wait-duration " + Durations.format(wait)),
                        () -> layer.setHere(WAIT_DURATION)
                                .ifPresent(v -> v.reject("<= exponential-max-wait-duration " + Durations.format(max))));
    }

    static RetrySpec build(Layer layer) {
        return new RetrySpec(
                layer.get(MAX_ATTEMPTS),
                layer.get(WAIT_DURATION),
                layer.get(BACKOFF_MULTIPLIER),
                layer.get(MAX_WAIT_DURATION),
                layer.get(RANDOMIZED_WAIT_FACTOR),
                layer.get(RETRY_ON_STATUS),
                layer.get(RETRY_METHODS),
                layer.get(MAX_RETRY_AFTER),
                layer.get(MAX_REPLAY_BODY),
                layer.get(SEND_X_SHOULD_RETRY),
                layer.get(RATE_LIMIT_GATE));
    }
}
