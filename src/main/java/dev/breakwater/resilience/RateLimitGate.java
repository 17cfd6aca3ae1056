package dev.breakwater.resilience;

import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Remembers "not before T" from upstream 429s, per key (an upstream, a credential and, for OpenAI, a model; see
 * {@link ProviderRules#rateLimitKey}), and holds requests for
 * that key until T instead of letting each one discover the limit with its own 429.
 *
 * <p>When T passes, held requests are released gradually, like TCP slow start: {@value #FIRST_WAVE} first, then
 * two more for every answer that is not another 429, so a herd of waiting agents does not simply move to T. If
 * no answer comes within {@value #NUDGE_MILLIS} ms, the next wave goes anyway, so a hung request cannot stall the
 * rest.
 *
 * <p>Shared by all event loops of a route: state changes are synchronized per key, and each held request is
 * resumed on its own event loop through the {@link Executor} it gave. A route with no closed gate costs one map
 * lookup per attempt.
 */
public final class RateLimitGate {
    static final int FIRST_WAVE = 2;
    static final int PER_SUCCESS = 2;
    static final long NUDGE_MILLIS = 1_000;
    /** Longer hints (about 73 years) are clamped here so that the ticker arithmetic cannot overflow. */
    static final long MAX_CLOSE_MILLIS = Long.MAX_VALUE / 4 / 1_000_000;
    /** A shorter hint closes the gate only when the upstream also says the key's quota is at zero. */
    public static final long MIN_CLOSE_HINT_MILLIS = 1_000;

    private final Ticker ticker;
    private final Map<String, KeyState> keys = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();

    public RateLimitGate(Ticker ticker) {
        this.ticker = ticker;
    }

    /** The result of asking to send an attempt. */
    public sealed interface Admission {
        /** Go ahead now. */
        Admission PASS = new Pass();
    }

    /** Go ahead now. */
    public record Pass() implements Admission {}

    /**
     * Held until released; {@code resume} will run on the caller's executor.
     *
     * @param waitMillis how long until the gate opens (0 when it is open but earlier requests go first)
     * @param ticket cancels the wait (client gone, deadline)
     */
    public record Held(long waitMillis, Ticket ticket) implements Admission {}

    /**
     * The gate is closed for longer than this request may wait.
     *
     * @param retryAfterSeconds whole seconds until the gate opens, rounded up
     */
    public record Rejected(long retryAfterSeconds) implements Admission {}

    /** A held request's place in the queue. */
    public interface Ticket {
        /** Leaves the queue; harmless after release. */
        void cancel();
    }

    /**
     * Whether a 429 with a wait hint should hold every request of its key, not only delay its own retry. It should
     * when the key is shown to be limited: the upstream says a quota is at zero, or the hint is a real window
     * (at least {@link #MIN_CLOSE_HINT_MILLIS}). A lone 429 with a sub-second hint is a burst limiter that refills
     * before a held herd could be released, or noise: holding the whole key for it cost a 200-client run 94 % of
     * its throughput (RELIABILITY.md), while the one request's own retry already waits its hint.
     */
    public static boolean closesOn(long hintMillis, boolean quotaExhausted) {
        return hintMillis >= MIN_CLOSE_HINT_MILLIS || quotaExhausted;
    }

    /** True when any key is closed or releasing, so callers can skip computing keys otherwise. */
    public boolean isActive() {
        return !keys.isEmpty();
    }

    /** Requests currently held, over all keys. */
    public int held() {
        return held.get();
    }

    /**
     * True when an attempt for {@code key} would pass now (see {@link #admit}), without queueing anything: the
     * key is not closed and nobody is waiting for it. Lets a route with several upstreams skip one whose gate
     * holds this key.
     */
    public boolean wouldPass(String key) {
        KeyState state = keys.get(key);
        if (state == null) {
            return true;
        }
        synchronized (state) {
            return keys.get(key) != state || (ticker.nanoTime() >= state.closedUntilNanos && state.waiters.isEmpty());
        }
    }

    /** Milliseconds until the gate opens for {@code key} (0 when open), for choosing the earliest upstream. */
    public long closedForMillis(String key) {
        KeyState state = keys.get(key);
        if (state == null) {
            return 0;
        }
        synchronized (state) {
            return Math.max(0, (state.closedUntilNanos - ticker.nanoTime() + 999_999) / 1_000_000);
        }
    }

    /**
     * Asks to send an attempt for {@code key}.
     *
     * @param maxWaitNanos the longest this request may be held ({@code max-retry-after}, and its deadline)
     * @param resumeOn runs {@code resume} on the request's own event loop
     */
    public Admission admit(String key, long maxWaitNanos, Executor resumeOn, Runnable resume) {
        while (true) {
            KeyState state = keys.get(key);
            if (state == null) {
                return Admission.PASS;
            }
            synchronized (state) {
                if (keys.get(key) == state) {
                    return admit(state, maxWaitNanos, resumeOn, resume);
                }
            }
            // The state was retired between the lookup and the lock: look again.
        }
    }

    /** Caller holds {@code state}'s monitor. */
    private Admission admit(KeyState state, long maxWaitNanos, Executor resumeOn, Runnable resume) {
        long waitNanos = Math.max(0, state.closedUntilNanos - ticker.nanoTime());
        if (waitNanos == 0 && state.waiters.isEmpty()) {
            return Admission.PASS;
        }
        if (waitNanos > maxWaitNanos) {
            return new Rejected((waitNanos + 999_999_999L) / 1_000_000_000L);
        }
        Waiter waiter = new Waiter(state, resumeOn, resume);
        state.waiters.addLast(waiter);
        held.incrementAndGet();
        return new Held((waitNanos + 999_999) / 1_000_000, waiter);
    }

    /**
     * Closes the gate for {@code key} until {@code hintMillis} from now (the upstream's 429 said so).
     *
     * @param scheduler where to run the release timer
     */
    public void close(String key, long hintMillis, Scheduler scheduler) {
        long waitMillis = Math.max(0, Math.min(hintMillis, MAX_CLOSE_MILLIS));
        while (true) {
            KeyState state = keys.computeIfAbsent(key, k -> new KeyState(k, scheduler));
            synchronized (state) {
                if (keys.get(key) != state) {
                    continue;
                }
                // Read after the state was made, so that a new state is always closed, even for a zero hint.
                long until = ticker.nanoTime() + waitMillis * 1_000_000L;
                if (until > state.closedUntilNanos) {
                    state.closedUntilNanos = until;
                    state.scheduler = scheduler;
                    state.wave = FIRST_WAVE;
                    state.armTimer(waitMillis);
                }
                return;
            }
        }
    }

    /** An attempt for {@code key} got an answer that was not a rate limit: let more held requests go. */
    public void onAnswer(String key) {
        KeyState state = keys.get(key);
        if (state == null) {
            return;
        }
        synchronized (state) {
            if (ticker.nanoTime() >= state.closedUntilNanos) {
                state.release(PER_SUCCESS);
            }
        }
    }

    /** Per-key state; every field is guarded by the instance's monitor. */
    private final class KeyState {
        final String key;
        final Deque<Waiter> waiters = new ArrayDeque<>();
        long closedUntilNanos;
        int wave = FIRST_WAVE;
        Scheduler scheduler;
        Scheduler.Cancellable timer = Scheduler.Cancellable.NONE;

        KeyState(String key, Scheduler scheduler) {
            this.key = key;
            this.scheduler = scheduler;
            // Open as of just now. Not 0: the ticker's origin is arbitrary and its values may be negative.
            this.closedUntilNanos = ticker.nanoTime() - 1;
        }

        void armTimer(long delayMillis) {
            timer.cancel();
            timer = scheduler.schedule(Math.max(1, delayMillis), this::onTimer);
        }

        void onTimer() {
            synchronized (this) {
                long left = closedUntilNanos - ticker.nanoTime();
                if (left > 0) {
                    armTimer((left + 999_999) / 1_000_000);
                    return;
                }
                release(wave);
            }
        }

        /** Releases up to {@code count} waiters; forgets the key once nobody waits. Caller holds the monitor. */
        void release(int count) {
            List<Waiter> released = new ArrayList<>(count);
            while (released.size() < count && !waiters.isEmpty()) {
                released.add(waiters.pollFirst());
            }
            held.addAndGet(-released.size());
            if (waiters.isEmpty()) {
                timer.cancel();
                keys.remove(key, this);
            } else {
                armTimer(NUDGE_MILLIS);
            }
            for (Waiter waiter : released) {
                waiter.resumeOn.execute(waiter.resume);
            }
        }
    }

    private final class Waiter implements Ticket {
        final KeyState state;
        final Executor resumeOn;
        final Runnable resume;

        Waiter(KeyState state, Executor resumeOn, Runnable resume) {
            this.state = state;
            this.resumeOn = resumeOn;
            this.resume = resume;
        }

        @Override
        public void cancel() {
            synchronized (state) {
                if (state.waiters.remove(this)) {
                    held.decrementAndGet();
                    if (state.waiters.isEmpty() && ticker.nanoTime() >= state.closedUntilNanos) {
                        state.timer.cancel();
                        keys.remove(state.key, state);
                    }
                }
            }
        }
    }
}
