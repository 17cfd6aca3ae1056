package dev.breakwater.time;

/**
 * Runs a task after a delay on the caller's event loop. Retry waits and timeouts go through this seam so that
 * tests can drive time by hand and production code never sleeps.
 */
public interface Scheduler {

    /**
     * Schedules {@code task} to run once after {@code delayMillis} (0 runs it on the next turn of the loop).
     *
     * @return a handle that cancels the task if it has not run yet
     */
    Cancellable schedule(long delayMillis, Runnable task);

    /** A scheduled task that can still be called off. */
    @FunctionalInterface
    interface Cancellable {
        /** Cancels the task; harmless when it already ran or was cancelled. */
        void cancel();

        /** A handle for nothing, so callers need no null checks. */
        Cancellable NONE = () -> {};
    }
}
