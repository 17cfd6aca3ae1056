package dev.breakwater.resilience;

import dev.breakwater.config.Priority;
import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Holds the attempts of one upstream per rate-limit key (an upstream, a credential and, for LLM providers, a
 * model; see {@link GateKeys}) until they may go, in one queue per key: by priority, then arrival order.
 *
 * <p>Two things hold a key. <b>A closure</b>: an upstream 429 said "not before T" (see {@link #closesOn}); the
 * key is closed until T, then its held requests are released gradually, like TCP slow start:
 * {@value #FIRST_WAVE} first, then {@value #PER_SUCCESS} more for every answer that is not another 429, so a
 * herd of waiting agents does not simply move to T (if no answer comes within {@value #NUDGE_MILLIS} ms, the next
 * wave goes anyway). <b>Pacing</b> (when on): each attempt takes one request and its estimated tokens from the
 * budget the upstream last reported ({@link KeyPacer}); one that does not fit waits for the window's reset.
 *
 * <p>A request that cannot go within the time it may wait ({@code max-retry-after}, its deadline) is refused at
 * once, and so is one more than {@code max-queued} per key. Shared by all event loops of a route: state changes
 * are synchronized per key, and each held request is resumed on its own event loop through the {@link Executor}
 * it gave.
 */
public final class RateLimitGate {
    static final int FIRST_WAVE = 2;
    static final int PER_SUCCESS = 2;
    static final long NUDGE_MILLIS = 1_000;
    /** Longer hints (about 73 years) are clamped here so that the ticker arithmetic cannot overflow. */
    static final long MAX_CLOSE_MILLIS = Long.MAX_VALUE / 4 / 1_000_000;
    /** A shorter hint closes the gate only when the upstream also says the key's quota is at zero. */
    public static final long MIN_CLOSE_HINT_MILLIS = 1_000;
    /** Keys kept at most; beyond it, idle keys are forgotten when a new one comes. */
    static final int MAX_KEYS = 10_000;

    private static final Priority[] PRIORITIES = Priority.values();

    private final Ticker ticker;
    private final GatePolicy policy;
    private final Map<String, KeyState> keys = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();
    /** Pacing, or a fleet: every key seen gets a state, not only closed ones. */
    private final boolean tracksKeys;

    public RateLimitGate(Ticker ticker, GatePolicy policy) {
        this.ticker = ticker;
        this.policy = policy;
        this.tracksKeys = policy.pacing() || policy.fleet().shared();
    }

    /** The result of asking to send an attempt. */
    public sealed interface Admission {}

    /**
     * Go ahead now.
     *
     * @param grant what pacing counted for the attempt, to hand back with its answer
     */
    public record Pass(Grant grant) implements Admission {
        /** Go, nothing counted. */
        static final Pass FREE = new Pass(Grant.NONE);
    }

    /**
     * Held until released; {@code resume} will run on the caller's executor.
     *
     * @param waitMillis about how long until it may go (0 when it may but earlier requests go first)
     * @param ticket cancels the wait (client gone, deadline)
     */
    public record Held(long waitMillis, Ticket ticket) implements Admission {}

    /**
     * Refused at once.
     *
     * @param retryAfterSeconds whole seconds until it could go, rounded up, at least 1
     * @param queueFull true when the key's queue is full, false when the wait is longer than the request may wait
     */
    public record Rejected(long retryAfterSeconds, boolean queueFull) implements Admission {}

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

    /** What this gate does. */
    public GatePolicy policy() {
        return policy;
    }

    /** True when attempts must ask: pacing is on, a fleet shares closures, or a key is closed or releasing. */
    public boolean isActive() {
        return tracksKeys || !keys.isEmpty();
    }

    /** Requests currently held, over all keys. */
    public int held() {
        return held.get();
    }

    /** Requests held per key, for the metrics; keys with none are left out. */
    public Map<String, Integer> heldByKey() {
        Map<String, Integer> byKey = new LinkedHashMap<>();
        keys.forEach((key, state) -> {
            int n;
            synchronized (state) {
                n = state.waiting();
            }
            if (n > 0) {
                byKey.put(key, n);
            }
        });
        return byKey;
    }

    /**
     * True when an attempt for {@code key} costing {@code tokens} would pass now (see {@link #admit}), without
     * taking or queueing anything. Lets a route with several upstreams skip one that would hold this request.
     */
    public boolean wouldPass(String key, long tokens) {
        // With a fleet, the first look makes the key's state, which takes a closure another instance sent first.
        KeyState state = tracksKeys ? stateOf(key) : keys.get(key);
        if (state == null) {
            return true;
        }
        synchronized (state) {
            long now = ticker.nanoTime();
            return keys.get(key) != state
                    || (now >= state.closedUntilNanos
                            && state.waiting() == 0
                            && (state.pacer == null || state.pacer.nextChanceNanos(tokens, now) <= now));
        }
    }

    /** Milliseconds until an attempt for {@code key} costing {@code tokens} may go (0 when now). */
    public long closedForMillis(String key, long tokens) {
        KeyState state = keys.get(key);
        if (state == null) {
            return 0;
        }
        synchronized (state) {
            long now = ticker.nanoTime();
            long until = state.closedUntilNanos;
            if (state.pacer != null) {
                until = Math.max(until, state.pacer.nextChanceNanos(tokens, now));
            }
            return Math.max(0, (until - now + 999_999) / 1_000_000);
        }
    }

    /** Requests left in {@code key}'s current window as paced, or -1 when unknown. */
    public long requestsLeft(String key) {
        KeyState state = keys.get(key);
        if (state == null || state.pacer == null) {
            return -1;
        }
        synchronized (state) {
            return state.pacer.requestsLeft(ticker.nanoTime());
        }
    }

    /**
     * Asks to send an attempt for {@code key}.
     *
     * @param tokens the attempt's estimated token cost (prompt and completion), for pacing
     * @param maxWaitNanos the longest this request may be held ({@code max-retry-after}, and its deadline)
     * @param resumeOn runs {@code resume} on the request's own event loop
     * @param resume receives the grant of a held request once it may go
     * @param timers where the key's release timer runs, unless it has one
     */
    public Admission admit(
            String key,
            long tokens,
            Priority priority,
            long maxWaitNanos,
            Executor resumeOn,
            Consumer<Grant> resume,
            Scheduler timers) {
        while (true) {
            KeyState state = tracksKeys ? stateOf(key) : keys.get(key);
            if (state == null) {
                return Pass.FREE;
            }
            synchronized (state) {
                if (keys.get(key) == state) {
                    if (state.scheduler == null) {
                        state.scheduler = timers;
                    }
                    return state.admit(tokens, priority, maxWaitNanos, resumeOn, resume);
                }
            }
            // The state was retired between the lookup and the lock: look again.
        }
    }

    /**
     * Closes the gate for {@code key} until {@code hintMillis} from now, because the upstream's 429 said so here,
     * and tells the rest of the fleet.
     *
     * @param scheduler where to run the release timer
     */
    public void closeAndShare(String key, long hintMillis, Scheduler scheduler) {
        close(key, hintMillis, scheduler);
        policy.fleet().closed(key, hintMillis);
    }

    /**
     * Closes the gate for {@code key} until {@code hintMillis} from now (a 429 here, or another instance of the
     * fleet said so). A closure only ever extends an existing one.
     *
     * @param scheduler where to run the release timer
     */
    public void close(String key, long hintMillis, Scheduler scheduler) {
        long waitMillis = Math.max(0, Math.min(hintMillis, MAX_CLOSE_MILLIS));
        while (true) {
            KeyState state = stateOf(key);
            synchronized (state) {
                if (keys.get(key) != state) {
                    continue;
                }
                // Read after the state was made, so that a new state is always closed, even for a zero hint.
                long until = ticker.nanoTime() + waitMillis * 1_000_000L;
                if (until > state.closedUntilNanos) {
                    state.closedUntilNanos = until;
                    state.scheduler = scheduler;
                    state.credits = 0;
                    state.armTimer(waitMillis);
                }
                return;
            }
        }
    }

    /** An attempt for {@code key} got an answer that was not a rate limit and reported nothing: let more go. */
    public void onAnswer(String key) {
        onAnswer(key, Grant.NONE, BudgetReport.NONE, false);
    }

    /**
     * An attempt for {@code key} got an answer, or failed without one.
     *
     * @param grant what pacing counted for it
     * @param report what the answer said about the key's budget ({@link BudgetReport#NONE} for a failure)
     * @param rateLimited true for a 429: no reason to let more held requests go
     */
    public void onAnswer(String key, Grant grant, BudgetReport report, boolean rateLimited) {
        KeyState state = policy.pacing() && !report.isEmpty() ? stateOf(key) : keys.get(key);
        if (state == null) {
            return;
        }
        synchronized (state) {
            long now = ticker.nanoTime();
            if (state.pacer != null) {
                state.pacer.report(grant, report, now);
            }
            if (!rateLimited && now >= state.closedUntilNanos && state.credits != Integer.MAX_VALUE) {
                state.credits = saturatedAdd(state.credits, PER_SUCCESS);
            }
            state.drain(now);
        }
    }

    /** The state of {@code key}, made if missing. */
    private KeyState stateOf(String key) {
        KeyState state = keys.get(key);
        if (state != null) {
            return state;
        }
        if (keys.size() >= MAX_KEYS) {
            forgetIdle();
        }
        KeyState made = keys.computeIfAbsent(key, KeyState::new);
        if (policy.fleet().shared()) {
            policy.fleet().watch(key, this);
        }
        return made;
    }

    /** Forgets keys with nothing held, closed or current, so that the map holds live keys only. */
    public void forgetIdle() {
        for (KeyState state : keys.values()) {
            synchronized (state) {
                state.forgetIfIdle(ticker.nanoTime());
            }
        }
    }

    private static int saturatedAdd(int a, int b) {
        long sum = (long) a + b;
        return sum >= Integer.MAX_VALUE ? Integer.MAX_VALUE - 1 : (int) sum;
    }

    /** Per-key state; every field is guarded by the instance's monitor. */
    private final class KeyState {
        final String key;
        /** Held requests, one queue per priority, highest first. */
        @SuppressWarnings("unchecked")
        final Deque<Waiter>[] queues = new Deque[PRIORITIES.length];

        final KeyPacer pacer;
        long closedUntilNanos;
        /** Requests that may still be released in the current slow-start wave; MAX_VALUE: not slow-starting. */
        int credits = Integer.MAX_VALUE;

        Scheduler scheduler;
        Scheduler.Cancellable timer = Scheduler.Cancellable.NONE;
        long timerAtNanos = Long.MAX_VALUE;

        KeyState(String key) {
            this.key = key;
            for (int i = 0; i < queues.length; i++) {
                queues[i] = new ArrayDeque<>();
            }
            long now = ticker.nanoTime();
            // Open as of just now. Not 0: the ticker's origin is arbitrary and its values may be negative.
            this.closedUntilNanos = now - 1;
            this.pacer = policy.pacing() ? policy.fleet().pacer(key, policy.headroom(), this::wake, now) : null;
        }

        int waiting() {
            int n = 0;
            for (Deque<Waiter> queue : queues) {
                n += queue.size();
            }
            return n;
        }

        /** Waiters that go before one of {@code priority}. */
        int ahead(Priority priority) {
            int n = 0;
            for (int i = 0; i <= priority.ordinal(); i++) {
                n += queues[i].size();
            }
            return n;
        }

        Admission admit(long tokens, Priority priority, long maxWaitNanos, Executor resumeOn, Consumer<Grant> resume) {
            long now = ticker.nanoTime();
            int ahead = ahead(priority);
            if (ahead == 0 && now >= closedUntilNanos && credits > 0) {
                Grant grant = pacer == null ? Grant.NONE : pacer.tryTake(tokens, now);
                if (grant != null) {
                    if (credits != Integer.MAX_VALUE) {
                        credits--;
                    }
                    return new Pass(grant);
                }
            }
            long waitNanos = Math.max(0, closedUntilNanos - now);
            if (pacer != null) {
                long paced = Math.max(0, pacer.nextChanceNanos(tokens, now) - now);
                // Each full window's worth of requests ahead of this one costs about one more window.
                paced += ahead / pacer.perWindow() * pacer.windowNanos();
                waitNanos = Math.max(waitNanos, paced);
            }
            if (waitNanos > maxWaitNanos) {
                return new Rejected(Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L), false);
            }
            if (waiting() >= policy.maxQueued()) {
                return new Rejected(Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L), true);
            }
            Waiter waiter = new Waiter(this, tokens, priority, resumeOn, resume);
            queues[priority.ordinal()].addLast(waiter);
            held.incrementAndGet();
            drain(now);
            return new Held((waitNanos + 999_999) / 1_000_000, waiter);
        }

        /** Releases what may go now, in queue order, and arms the timer for the rest. */
        void drain(long now) {
            while (true) {
                Waiter waiter = head();
                if (waiter == null) {
                    if (now < closedUntilNanos) {
                        armAt(closedUntilNanos, now); // to forget the key when it opens
                        return;
                    }
                    credits = Integer.MAX_VALUE;
                    cancelTimer();
                    forgetIfIdle(now);
                    return;
                }
                if (now < closedUntilNanos) {
                    armAt(closedUntilNanos, now);
                    return;
                }
                if (credits <= 0) {
                    armAt(now + NUDGE_MILLIS * 1_000_000L, now);
                    return;
                }
                Grant grant = Grant.NONE;
                if (pacer != null) {
                    grant = pacer.tryTake(waiter.tokens, now);
                    if (grant == null) {
                        armAt(Math.max(now + 1_000_000L, pacer.nextChanceNanos(waiter.tokens, now)), now);
                        return;
                    }
                }
                queues[waiter.priority.ordinal()].pollFirst();
                held.decrementAndGet();
                if (credits != Integer.MAX_VALUE) {
                    credits--;
                }
                Grant granted = grant;
                waiter.resumeOn.execute(() -> waiter.resume.accept(granted));
            }
        }

        Waiter head() {
            for (Deque<Waiter> queue : queues) {
                Waiter first = queue.peekFirst();
                if (first != null) {
                    return first;
                }
            }
            return null;
        }

        /** The pacer may have room again (a lease arrived): release what fits. */
        void wake() {
            synchronized (this) {
                drain(ticker.nanoTime());
            }
        }

        void armTimer(long delayMillis) {
            long now = ticker.nanoTime();
            cancelTimer();
            armAt(now + Math.max(1, delayMillis) * 1_000_000L, now);
        }

        void armAt(long atNanos, long now) {
            if (timerAtNanos == atNanos) {
                return;
            }
            cancelTimer();
            timerAtNanos = atNanos;
            long delayMillis = Math.max(1, (atNanos - now + 999_999) / 1_000_000);
            timer = schedulerOrFail().schedule(delayMillis, this::onTimer);
        }

        private Scheduler schedulerOrFail() {
            if (scheduler == null) {
                throw new IllegalStateException("no scheduler for the rate-limit gate's timers");
            }
            return scheduler;
        }

        void cancelTimer() {
            timer.cancel();
            timer = Scheduler.Cancellable.NONE;
            timerAtNanos = Long.MAX_VALUE;
        }

        void onTimer() {
            synchronized (this) {
                timer = Scheduler.Cancellable.NONE;
                timerAtNanos = Long.MAX_VALUE;
                long now = ticker.nanoTime();
                if (now >= closedUntilNanos && credits <= 0) {
                    // The window reopened, or no answer came for a while: the next wave goes.
                    credits = FIRST_WAVE;
                }
                drain(now);
            }
        }

        void forgetIfIdle(long now) {
            if (waiting() == 0 && now >= closedUntilNanos && (pacer == null || pacer.idle(now))) {
                cancelTimer();
                keys.remove(key, this);
            }
        }
    }

    private final class Waiter implements Ticket {
        final KeyState state;
        final long tokens;
        final Priority priority;
        final Executor resumeOn;
        final Consumer<Grant> resume;

        Waiter(KeyState state, long tokens, Priority priority, Executor resumeOn, Consumer<Grant> resume) {
            this.state = state;
            this.tokens = tokens;
            this.priority = priority;
            this.resumeOn = resumeOn;
            this.resume = resume;
        }

        @Override
        public void cancel() {
            synchronized (state) {
                if (state.queues[priority.ordinal()].remove(this)) {
                    held.decrementAndGet();
                    // The one who left may have blocked the queue's head (a large token cost): look again.
                    state.drain(ticker.nanoTime());
                }
            }
        }
    }
}
