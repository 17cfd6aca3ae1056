package dev.breakwater.admin;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What {@code GET /admin/status} and the top of the status page show about the running instance: its version,
 * when it started and how long ago, the configuration file it reads, and the last reload (by the file watcher or
 * {@code POST /admin/reload}) with its time and result. Thread-safe.
 */
public final class InstanceStatus {
    private final String version;
    private final Optional<Path> configFile;
    private final Clock clock;
    private final Instant started;
    private final AtomicReference<Reload> lastReload = new AtomicReference<>();

    private record Reload(Instant at, ReloadResult result) {}

    /**
     * @param version Breakwater's version
     * @param configFile the file the configuration was read from, when there is one
     * @param clock the wall clock; the instance counts as started when this is made
     */
    public InstanceStatus(String version, Optional<Path> configFile, Clock clock) {
        this.version = version;
        this.configFile = configFile;
        this.clock = clock;
        this.started = clock.instant();
    }

    /** Remembers a reload's result, applied or rejected, as the last one. */
    public void reloaded(ReloadResult result) {
        lastReload.set(new Reload(clock.instant(), result));
    }

    /**
     * The status as JSON: {@code version}, {@code started} (ISO-8601), {@code uptime-seconds}, {@code config-file}
     * (absolute; null without one) and {@code last-reload} (null before the first: {@code time}, {@code applied},
     * {@code summary}, {@code problems}).
     */
    public JsonObject toJson() {
        Reload reload = lastReload.get();
        return new JsonObject()
                .put("version", version)
                .put("started", started.toString())
                .put(
                        "uptime-seconds",
                        Duration.between(started, clock.instant()).toSeconds())
                .put(
                        "config-file",
                        configFile
                                .map(f -> f.toAbsolutePath().normalize().toString())
                                .orElse(null))
                .put(
                        "last-reload",
                        reload == null
                                ? null
                                : reload.result()
                                        .toJson()
                                        .put("time", reload.at().toString()));
    }
}
