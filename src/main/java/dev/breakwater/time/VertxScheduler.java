package dev.breakwater.time;

import io.vertx.core.Vertx;

/**
 * The production {@link Scheduler}: Vert.x timers on the calling context's event loop.
 *
 * <p>Vert.x rejects timers shorter than 1 ms, so a zero delay runs on the next turn of the loop instead.
 */
public final class VertxScheduler implements Scheduler {
    private final Vertx vertx;

    public VertxScheduler(Vertx vertx) {
        this.vertx = vertx;
    }

    @Override
    public Cancellable schedule(long delayMillis, Runnable task) {
        if (delayMillis <= 0) {
            boolean[] cancelled = {false};
            vertx.getOrCreateContext().runOnContext(v -> {
                if (!cancelled[0]) {
                    task.run();
                }
            });
            return () -> cancelled[0] = true;
        }
        long id = vertx.setTimer(delayMillis, t -> task.run());
        return () -> vertx.cancelTimer(id);
    }
}
