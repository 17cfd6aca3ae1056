package dev.breakwater.testing;

import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Hand-driven time: the ticker reads it, the scheduler runs due tasks when it is advanced. */
public final class ManualTime implements Scheduler, Ticker {
    private final List<Task> tasks = new ArrayList<>();
    private final long originNanos;
    private long nowMillis;
    private long sequence;

    public ManualTime(long originNanos) {
        this.originNanos = originNanos;
    }

    private final class Task {
        final long dueMillis;
        final long order = sequence++;
        final Runnable body;

        Task(long dueMillis, Runnable body) {
            this.dueMillis = dueMillis;
            this.body = body;
        }
    }

    @Override
    public long nanoTime() {
        return originNanos + TimeUnit.MILLISECONDS.toNanos(nowMillis);
    }

    @Override
    public Cancellable schedule(long delayMillis, Runnable body) {
        Task task = new Task(nowMillis + Math.max(0, delayMillis), body);
        tasks.add(task);
        return () -> tasks.remove(task);
    }

    /** Moves time forward by {@code millis}, running every task that falls due, in due-time order. */
    public void advance(long millis) {
        long target = nowMillis + millis;
        while (true) {
            Task next = tasks.stream()
                    .filter(t -> t.dueMillis <= target)
                    .min(Comparator.<Task>comparingLong(t -> t.dueMillis).thenComparingLong(t -> t.order))
                    .orElse(null);
            if (next == null) {
                break;
            }
            tasks.remove(next);
            nowMillis = next.dueMillis;
            next.body.run();
        }
        nowMillis = target;
    }

    public int pending() {
        return tasks.size();
    }
}
