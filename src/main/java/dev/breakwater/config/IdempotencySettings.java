package dev.breakwater.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The {@code idempotency} section: its table of keys and how it becomes an {@link IdempotencySpec}. */
final class IdempotencySettings {
    private static final ValueReader<Boolean> BOOL = Readers.bool();

    static final Setting<Optional<Boolean>> ENABLED = new Setting<>(
            "enabled", IdempotencySpec.DEFAULT.enabled(), v -> BOOL.read(v).map(Optional::of));
    static final Setting<Duration> TTL = new Setting<>("ttl", IdempotencySpec.DEFAULT.ttl(), Readers.duration(true));
    static final Setting<Long> MAX_STORED_BODY =
            new Setting<>("max-stored-body", IdempotencySpec.DEFAULT.maxStoredBody(), Readers.size());
    static final Setting<Integer> MAX_KEYS =
            new Setting<>("max-keys", IdempotencySpec.DEFAULT.maxKeys(), Readers.integer(Bound.atLeast("1")));
    static final Setting<Long> MAX_MEMORY =
            new Setting<>("max-memory", IdempotencySpec.DEFAULT.maxMemory(), Readers.size());
    static final Setting<Boolean> WAIT_FOR_FIRST =
            new Setting<>("wait-for-first", IdempotencySpec.DEFAULT.waitForFirst(), Readers.bool());

    static final SectionSchema SCHEMA = new SectionSchema(
            "idempotency", List.of(ENABLED, TTL, MAX_STORED_BODY, MAX_KEYS, MAX_MEMORY, WAIT_FOR_FIRST), layer -> {});

    private IdempotencySettings() {}

    static IdempotencySpec build(Layer layer) {
        return new IdempotencySpec(
                layer.get(ENABLED),
                layer.get(TTL),
                layer.get(MAX_STORED_BODY),
                layer.get(MAX_KEYS),
                layer.get(MAX_MEMORY),
                layer.get(WAIT_FOR_FIRST));
    }
}
