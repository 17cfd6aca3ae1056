package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.ManualTime;
import dev.breakwater.time.Scheduler.Cancellable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ExchangeTimersTest {
    private static final long ORIGIN = 1_000_000_000L;

    private final ManualTime time = new ManualTime(ORIGIN);
    private final List<String> fired = new ArrayList<>();
    private final CountingScheduler loop = new CountingScheduler(time);

    /** Timers of an exchange that started now and whose route's shortest timeout is {@code shortestMillis}. */
    private ExchangeTimers timers(long shortestMillis) {
        return new ExchangeTimers(loop, time, time.nanoTime() + TimeUnit.MILLISECONDS.toNanos(shortestMillis));
    }

    @Test
    void anExchangeThatEndsBeforeItsDeadlinesSetsOneTimerAndCancelsIt() {
        ExchangeTimers timers = timers(60_000);

        Cancellable total = timers.schedule(600_000, () -> fired.add("total"));
        Cancellable response = timers.schedule(120_000, () -> fired.add("response"));
        time.advance(5);
        response.cancel(); // the head came
        Cancellable idle = timers.schedule(60_000, () -> fired.add("idle"));
        time.advance(20);
        idle.cancel();
        total.cancel();

        assertThat(loop.scheduled).isEqualTo(1);
        assertThat(time.pending()).isZero();
        time.advance(700_000);
        assertThat(fired).isEmpty();
    }

    @Test
    void eachDeadlineFiresAtItsOwnTime() {
        ExchangeTimers timers = timers(60_000);
        List<Long> at = new ArrayList<>();
        timers.schedule(600_000, () -> at.add(elapsedMillis()));
        timers.schedule(120_000, () -> at.add(elapsedMillis()));
        time.advance(1_000);
        timers.schedule(60_000, () -> at.add(elapsedMillis()));

        time.advance(700_000);

        assertThat(at).containsExactly(61_000L, 120_000L, 600_000L);
    }

    @Test
    void aDeadlineEarlierThanTheTimerMovesItEarlier() {
        ExchangeTimers timers = timers(60_000);
        timers.schedule(600_000, () -> fired.add("total"));
        // Shorter than the route's shortest timeout: a deadline the floor does not cover still fires on time.
        timers.schedule(10, () -> fired.add("short"));

        time.advance(9);
        assertThat(fired).isEmpty();
        time.advance(1);
        assertThat(fired).containsExactly("short");
    }

    @Test
    void aTaskCanArmTheNextDeadlineAndCallOffOneDueAtTheSameTime() {
        ExchangeTimers timers = timers(100);
        Cancellable[] other = new Cancellable[1];
        timers.schedule(100, () -> {
            fired.add("first");
            other[0].cancel();
            timers.schedule(50, () -> fired.add("again"));
        });
        other[0] = timers.schedule(100, () -> fired.add("called off"));

        time.advance(100);
        assertThat(fired).containsExactly("first");
        time.advance(49);
        assertThat(fired).containsExactly("first");
        time.advance(1);
        assertThat(fired).containsExactly("first", "again");
        assertThat(time.pending()).isZero();
    }

    @Test
    void cancellingOneOfSeveralLeavesTheOthers() {
        ExchangeTimers timers = timers(60_000);
        timers.schedule(60_000, () -> fired.add("idle"));
        timers.schedule(120_000, () -> fired.add("response")).cancel();

        time.advance(200_000);

        assertThat(fired).containsExactly("idle");
        assertThat(time.pending()).isZero();
    }

    @Test
    void zeroDelayRunsOnTheNextTurnOfTheLoopAsTheSchedulerDoes() {
        ExchangeTimers timers = timers(60_000);
        timers.schedule(0, () -> fired.add("now"));
        time.advance(0);
        assertThat(fired).containsExactly("now");
    }

    private long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(time.nanoTime() - ORIGIN);
    }

    /** Counts the timers set on the event loop. */
    private static final class CountingScheduler implements dev.breakwater.time.Scheduler {
        private final ManualTime time;
        int scheduled;

        CountingScheduler(ManualTime time) {
            this.time = time;
        }

        @Override
        public Cancellable schedule(long delayMillis, Runnable task) {
            scheduled++;
            return time.schedule(delayMillis, task);
        }
    }
}
