package dev.breakwater.config;

import java.time.Duration;
import java.util.List;

/** The {@code timeouts} section: its table of keys and how it becomes a {@link TimeoutSpec}. */
final class TimeoutSettings {
    /** Must be positive: a connect attempt with no limit can hang a request forever on a black-holed host. */
    static final Setting<Duration> CONNECT = new Setting<>("connect", Duration.ofSeconds(5), Readers.duration(true));

    static final Setting<Duration> RESPONSE =
            new Setting<>("response", Duration.ofSeconds(120), Readers.duration(false));
    static final Setting<Duration> IDLE = new Setting<>("idle", Duration.ofSeconds(60), Readers.duration(false));
    static final Setting<Duration> TOTAL = new Setting<>("total", Duration.ofMinutes(10), Readers.duration(false));

    static final SectionSchema SCHEMA =
            new SectionSchema("timeouts", List.of(CONNECT, RESPONSE, IDLE, TOTAL), layer -> {});

    private TimeoutSettings() {}

    static TimeoutSpec build(Layer layer) {
        return new TimeoutSpec(layer.get(CONNECT), layer.get(RESPONSE), layer.get(IDLE), layer.get(TOTAL));
    }
}
