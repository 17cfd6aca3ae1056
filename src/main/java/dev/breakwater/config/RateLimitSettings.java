package dev.breakwater.config;

import java.util.List;
import java.util.Optional;

/** The {@code rate-limit} section: its table of keys and how it becomes a {@link RateLimitSpec}. */
final class RateLimitSettings {
    private static final ValueReader<Boolean> BOOL = Readers.bool();

    static final Setting<Optional<Boolean>> PACING = new Setting<>(
            "pacing", RateLimitSpec.DEFAULT.pacing(), v -> BOOL.read(v).map(Optional::of));
    static final Setting<Double> HEADROOM = new Setting<>(
            "headroom",
            RateLimitSpec.DEFAULT.headroomPercent(),
            Readers.percent(Bound.atLeast("0"), Bound.atMost("50")));
    static final Setting<Integer> DEFAULT_COMPLETION_TOKENS = new Setting<>(
            "default-completion-tokens",
            RateLimitSpec.DEFAULT.defaultCompletionTokens(),
            Readers.integer(Bound.atLeast("0")));
    static final Setting<Integer> MAX_QUEUED =
            new Setting<>("max-queued", RateLimitSpec.DEFAULT.maxQueued(), Readers.integer(Bound.atLeast("0")));
    static final Setting<Priority> PRIORITY = new Setting<>(
            "priority", RateLimitSpec.DEFAULT.priority(), Readers.oneOf(Priority.values(), Priority::yamlName));

    static final SectionSchema SCHEMA = new SectionSchema(
            "rate-limit", List.of(PACING, HEADROOM, DEFAULT_COMPLETION_TOKENS, MAX_QUEUED, PRIORITY), layer -> {});

    private RateLimitSettings() {}

    static RateLimitSpec build(Layer layer) {
        return new RateLimitSpec(
                layer.get(PACING),
                layer.get(HEADROOM),
                layer.get(DEFAULT_COMPLETION_TOKENS),
                layer.get(MAX_QUEUED),
                layer.get(PRIORITY));
    }
}
