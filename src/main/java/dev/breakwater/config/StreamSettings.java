package dev.breakwater.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The {@code stream} section: its table of keys and how it becomes a {@link StreamSpec}. */
final class StreamSettings {
    static final Setting<Boolean> COMMIT_ON_FIRST_EVENT =
            new Setting<>("commit-on-first-event", StreamSpec.DEFAULT.commitOnFirstEvent(), Readers.bool());
    static final Setting<Duration> FIRST_EVENT_TIMEOUT =
            new Setting<>("first-event-timeout", StreamSpec.DEFAULT.firstEventTimeout(), Readers.duration(false));
    private static final ValueReader<Duration> DURATION = Readers.duration(false);
    static final Setting<Optional<Duration>> IDLE_TIMEOUT = new Setting<>(
            "idle-timeout",
            StreamSpec.DEFAULT.idleTimeout(),
            v -> DURATION.read(v).map(Optional::of));
    static final Setting<Long> MAX_HELD = new Setting<>("max-held", StreamSpec.DEFAULT.maxHeld(), Readers.size());

    static final SectionSchema SCHEMA = new SectionSchema(
            "stream", List.of(COMMIT_ON_FIRST_EVENT, FIRST_EVENT_TIMEOUT, IDLE_TIMEOUT, MAX_HELD), layer -> {});

    private StreamSettings() {}

    static StreamSpec build(Layer layer) {
        return new StreamSpec(
                layer.get(COMMIT_ON_FIRST_EVENT),
                layer.get(FIRST_EVENT_TIMEOUT),
                layer.get(IDLE_TIMEOUT),
                layer.get(MAX_HELD));
    }
}
