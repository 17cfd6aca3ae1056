package dev.breakwater.config;

import java.util.List;

/** The {@code retry-budget} section: its table of keys and how it becomes a {@link RetryBudgetSpec}. */
final class RetryBudgetSettings {
    static final Setting<Double> PERCENT = new Setting<>(
            "percent", RetryBudgetSpec.DEFAULT.percent(), Readers.decimal(Bound.atLeast("0"), Bound.atMost("100")));
    static final Setting<Integer> MIN_CONCURRENCY = new Setting<>(
            "min-concurrency", RetryBudgetSpec.DEFAULT.minConcurrency(), Readers.integer(Bound.atLeast("0")));

    static final SectionSchema SCHEMA =
            new SectionSchema("retry-budget", List.of(PERCENT, MIN_CONCURRENCY), layer -> {});

    private RetryBudgetSettings() {}

    static RetryBudgetSpec build(Layer layer) {
        return new RetryBudgetSpec(layer.get(PERCENT), layer.get(MIN_CONCURRENCY));
    }
}
