package dev.breakwater.proxy;

import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import java.util.ArrayList;
import java.util.List;

/**
 * The deadlines of one exchange (its total deadline, each attempt's response timeout, the relay's idle check) on
 * one timer of the event loop instead of one timer each. Each deadline still fires at its own time: the one timer
 * is always set no later than the earliest deadline pending, and when it fires it runs those that are due and is
 * set again for the next.
 *
 * <p>Why: an exchange armed three event-loop timers and cancelled them again, nearly always before any fired
 * (a deadline of minutes against a reply in milliseconds); each was a scheduled task in the loop's priority queue
 * plus Vert.x's own bookkeeping. Here the first deadline sets the timer at the earliest moment any deadline of this
 * exchange can fall due ({@code floorNanos}: its start plus its route's shortest timeout), so the deadlines armed
 * later in the exchange, which all fall due after that moment, move nothing: a request that ends before its
 * shortest timeout costs one timer set and one cancelled.
 *
 * <p>Used on the exchange's event loop only.
 */
final class ExchangeTimers implements Scheduler {
    private final Scheduler loop;
    private final Ticker ticker;
    /** No deadline of this exchange can fall due before this time (far ahead when its route has no timeout). */
    private final long floorNanos;

    private final List<Deadline> pending = new ArrayList<>(3);
    private Cancellable timer = Cancellable.NONE;
    /** When {@link #timer} fires; meaningless while it is {@link Cancellable#NONE}. */
    private long timerAtNanos;

    private boolean firing;

    ExchangeTimers(Scheduler loop, Ticker ticker, long floorNanos) {
        this.loop = loop;
        this.ticker = ticker;
        this.floorNanos = floorNanos;
    }

    @Override
    public Cancellable schedule(long delayMillis, Runnable task) {
        if (delayMillis <= 0) {
            return loop.schedule(delayMillis, task);
        }
        Deadline deadline = new Deadline(ticker.nanoTime() + delayMillis * 1_000_000, task);
        pending.add(deadline);
        if (!firing) {
            arm();
        }
        return deadline;
    }

    /** Sets the timer no later than the earliest pending deadline (or the floor, while that is still ahead). */
    private void arm() {
        if (pending.isEmpty()) {
            timer.cancel();
            timer = Cancellable.NONE;
            return;
        }
        long earliest = Long.MAX_VALUE;
        for (Deadline deadline : pending) {
            earliest = Math.min(earliest, deadline.atNanos);
        }
        long now = ticker.nanoTime();
        long at = floorNanos > now ? Math.min(earliest, floorNanos) : earliest;
        if (timer != Cancellable.NONE && timerAtNanos <= at) {
            return; // fires in time, and is set again then
        }
        timer.cancel();
        timerAtNanos = at;
        long delayMillis = Math.max(1, (at - now + 999_999) / 1_000_000);
        timer = loop.schedule(delayMillis, this::fire);
    }

    private void fire() {
        timer = Cancellable.NONE;
        long now = ticker.nanoTime();
        List<Deadline> due = null;
        for (int i = 0; i < pending.size(); ) {
            Deadline deadline = pending.get(i);
            if (deadline.atNanos <= now) {
                pending.remove(i);
                if (due == null) {
                    due = new ArrayList<>(2);
                }
                due.add(deadline);
            } else {
                i++;
            }
        }
        if (due != null) {
            due.sort((a, b) -> Long.compare(a.atNanos, b.atNanos));
            firing = true;
            try {
                for (Deadline deadline : due) {
                    // An earlier one's task may have called this one off (the exchange ended).
                    if (!deadline.cancelled) {
                        deadline.cancelled = true;
                        deadline.task.run();
                    }
                }
            } finally {
                firing = false;
            }
        }
        arm();
    }

    /** One deadline of the exchange. */
    private final class Deadline implements Cancellable {
        private final long atNanos;
        private final Runnable task;
        private boolean cancelled;

        Deadline(long atNanos, Runnable task) {
            this.atNanos = atNanos;
            this.task = task;
        }

        @Override
        public void cancel() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            pending.remove(this);
            if (!firing) {
                arm(); // cancels the timer when this was the last deadline; otherwise it still fires in time
            }
        }
    }
}
