package dev.breakwater.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InstanceStatusTest {
    private static final Instant START = Instant.parse("2026-12-03T03:00:00Z");

    /** A clock moved by hand. */
    private static final class HandClock extends Clock {
        private Instant now = START;

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final HandClock clock = new HandClock();

    private final InstanceStatus status =
            new InstanceStatus("1.2.3", Optional.of(Path.of("config", "breakwater.yaml")), clock);

    @Test
    void showsVersionStartUptimeAndTheAbsoluteConfigFile() {
        clock.advance(Duration.ofSeconds(95));

        JsonObject json = status.toJson();

        assertThat(json.getString("version")).isEqualTo("1.2.3");
        assertThat(json.getString("started")).isEqualTo("2026-12-03T03:00:00Z");
        assertThat(json.getLong("uptime-seconds")).isEqualTo(95);
        assertThat(Path.of(json.getString("config-file"))).isAbsolute().endsWith(Path.of("config", "breakwater.yaml"));
        assertThat(json.containsKey("last-reload")).isTrue();
        assertThat(json.getValue("last-reload")).isNull();
    }

    @Test
    void remembersTheLastReloadWithItsTime() {
        status.reloaded(new ReloadResult(true, List.of(), "configuration reloaded: 2 route(s)"));
        clock.advance(Duration.ofSeconds(30));
        status.reloaded(
                new ReloadResult(false, List.of("f.yaml:3: routes: missing"), "configuration f.yaml is invalid"));

        JsonObject last = status.toJson().getJsonObject("last-reload");

        assertThat(last.getString("time")).isEqualTo("2026-12-03T03:00:30Z");
        assertThat(last.getBoolean("applied")).isFalse();
        assertThat(last.getString("summary")).isEqualTo("configuration f.yaml is invalid");
        assertThat(last.getJsonArray("problems").getList()).containsExactly("f.yaml:3: routes: missing");
    }

    @Test
    void saysWhenThereIsNoConfigFile() {
        InstanceStatus inMemory = new InstanceStatus("1.2.3", Optional.empty(), Clock.fixed(START, ZoneOffset.UTC));

        assertThat(inMemory.toJson().getValue("config-file")).isNull();
    }
}
