package dev.breakwater.config;

import io.vertx.core.Vertx;
import io.vertx.core.file.FileProps;
import java.nio.file.Path;

/**
 * Watches the configuration file for edits by polling its size and modification time once a second (file
 * system events are unreliable across editors, bind mounts and Kubernetes ConfigMap symlink swaps). The check
 * is asynchronous; it never blocks an event loop.
 */
public final class ConfigWatcher {
    private static final long PERIOD_MILLIS = 1_000;

    private final Vertx vertx;
    private final Path file;
    private final Runnable onChange;
    private long timerId = -1;
    private String lastSeen;

    /**
     * @param onChange runs on a Vert.x event loop after each edit that changed the file's size or time
     */
    public ConfigWatcher(Vertx vertx, Path file, Runnable onChange) {
        this.vertx = vertx;
        this.file = file;
        this.onChange = onChange;
    }

    /** Starts watching; the file as it is now counts as seen. */
    public void start() {
        vertx.fileSystem().props(file.toString()).onComplete(ar -> {
            lastSeen = ar.succeeded() ? fingerprint(ar.result()) : "missing";
            timerId = vertx.setPeriodic(PERIOD_MILLIS, id -> check());
        });
    }

    /** Stops watching. */
    public void stop() {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    private void check() {
        vertx.fileSystem().props(file.toString()).onComplete(ar -> {
            String now = ar.succeeded() ? fingerprint(ar.result()) : "missing";
            if (!now.equals(lastSeen)) {
                lastSeen = now;
                if (ar.succeeded()) {
                    onChange.run();
                }
            }
        });
    }

    private static String fingerprint(FileProps props) {
        return props.size() + "@" + props.lastModifiedTime();
    }
}
