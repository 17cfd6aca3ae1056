package dev.breakwater.resilience;

import dev.breakwater.time.Ticker;

/**
 * A key's pacing budget leased from the fleet's {@link BudgetStore}: requests are taken from a local lease, so
 * the store is asked once per lease, not once per request. A lease ends with its window; what it did not use is
 * lost with the window (the store's window starts whole again), so leases are kept small: a few requests per
 * instance per window.
 *
 * <p>Every answer also feeds a {@link LocalPacer} mirror. While the store is unreachable the key is paced by that
 * mirror at the store's {@link BudgetStore#fallbackShare()} of the budget, at once and without waiting for the
 * store; when it is back, the next lease request carries the latest report, which re-seeds a store that lost its
 * state. Guarded by its own monitor; the gate calls it under the key's monitor, and {@code wake} runs without
 * this one held.
 */
public final class LeasedPacer implements KeyPacer {
    /** How long a key the store knows no limit for goes freely before the store is asked again. */
    static final long FREE_MILLIS = 100;
    /** How long a request for a lease may be out before the queue looks again (its reply wakes it sooner). */
    static final long RETRY_MILLIS = 50;
    /**
     * How long a key is paced locally after a request for a lease failed, before the store is asked again: a
     * failing Redis must not hold requests, even before its breaker opens.
     */
    static final long LOCAL_AFTER_FAILURE_MILLIS = 1_000;
    /** The largest lease, in requests. */
    static final int MAX_BATCH = 50;

    private final String hash;
    private final BudgetStore store;
    private final LocalPacer mirror;
    private final Runnable wake;
    private final double headroom;
    private final Ticker ticker;

    private int leaseRequests;
    private long leaseTokens;
    private long leaseUntilNanos;
    private long leaseWindow = -1;
    private boolean probeLease;
    private boolean asking;
    private long askedAtNanos;
    private long waitUntilNanos;
    private long freeUntilNanos;
    private long localUntilNanos;
    private boolean reseeded;
    private BudgetReport lastReport;
    private BudgetReport pendingReport;
    private long pendingWindow = -1;

    public LeasedPacer(String hash, BudgetStore store, double headroom, Runnable wake, Ticker ticker) {
        this.hash = hash;
        this.store = store;
        this.headroom = headroom;
        this.wake = wake;
        this.ticker = ticker;
        long now = ticker.nanoTime();
        this.mirror = new LocalPacer(headroom, now);
        this.waitUntilNanos = now;
        this.freeUntilNanos = now;
        this.leaseUntilNanos = now;
        this.localUntilNanos = now;
    }

    /** True while this key is paced on the local mirror: the store is down, or just failed for this key. */
    private boolean local(long nowNanos) {
        return !store.healthy() || nowNanos - localUntilNanos < 0;
    }

    /**
     * The mirror's share while the key is paced locally: the fallback share, as the other instances are likely
     * to have lost the store too.
     */
    private void shareMirror() {
        mirror.share(store.fallbackShare());
    }

    @Override
    public synchronized Grant tryTake(long tokens, long nowNanos) {
        if (local(nowNanos)) {
            shareMirror();
            return mirror.tryTake(tokens, nowNanos);
        }
        mirror.share(1);
        if (nowNanos - freeUntilNanos < 0) {
            return new Grant(-1, -1, tokens);
        }
        if (nowNanos - leaseUntilNanos >= 0) {
            // The lease ended with its window; what it left unused is lost with the window.
            leaseRequests = 0;
            leaseTokens = 0;
        }
        if (leaseRequests >= 1 && leaseTokens >= tokens) {
            leaseRequests--;
            leaseTokens -= tokens;
            return new Grant(-1, leaseWindow, tokens);
        }
        if (nowNanos - waitUntilNanos < 0) {
            return null;
        }
        ask(tokens, nowNanos);
        return null;
    }

    /** Asks the store for a lease, unless a request for one is out. Caller holds the monitor. */
    private void ask(long tokens, long nowNanos) {
        if (asking) {
            return;
        }
        asking = true;
        askedAtNanos = nowNanos;
        int batch = batch();
        BudgetStore.LeaseRequest request =
                new BudgetStore.LeaseRequest(batch, tokens * batch, tokens, headroom, pendingReport, pendingWindow);
        pendingReport = null;
        pendingWindow = -1;
        store.take(hash, request, this::onReply);
    }

    /** A few requests per instance per window, so that what a lease leaves unused at the window's end is little. */
    private int batch() {
        long perWindow = mirror.perWindow();
        return (int) Math.max(1, Math.min(MAX_BATCH, perWindow / 20));
    }

    private void onReply(BudgetStore.LeaseReply reply, Throwable failure) {
        synchronized (this) {
            asking = false;
            long now = ticker.nanoTime();
            if (failure != null) {
                localUntilNanos = now + LOCAL_AFTER_FAILURE_MILLIS * 1_000_000L;
            } else {
                switch (reply.state()) {
                    case UNKNOWN -> {
                        if (lastReport != null && !reseeded) {
                            // The store lost its state (a restarted Redis): seed it with what this instance knows.
                            reseeded = true;
                            pendingReport = lastReport;
                            waitUntilNanos = now;
                        } else {
                            freeUntilNanos = now + FREE_MILLIS * 1_000_000L;
                        }
                    }
                    case LEASED, PROBE -> {
                        reseeded = false;
                        leaseRequests += reply.requests();
                        leaseTokens += reply.tokens();
                        leaseUntilNanos = now + reply.millis() * 1_000_000L;
                        leaseWindow = reply.window();
                        probeLease = reply.state() == BudgetStore.State.PROBE;
                    }
                    case WAIT -> waitUntilNanos = now + Math.max(1, reply.millis()) * 1_000_000L;
                }
            }
        }
        wake.run();
    }

    /** Another instance's report opened the key's window: a wait for it is over. */
    public void windowOpened() {
        synchronized (this) {
            waitUntilNanos = ticker.nanoTime();
        }
        wake.run();
    }

    @Override
    public synchronized void report(Grant grant, BudgetReport report, long nowNanos) {
        boolean leased = grant.requestSeq() < 0;
        mirror.report(leased ? Grant.NONE : grant, report, nowNanos);
        if (!leased) {
            // Granted locally (Redis was down): the store learns it with the next lease request.
            if (!report.isEmpty()) {
                lastReport = report;
                pendingReport = report;
                pendingWindow = -1;
            }
            return;
        }
        boolean probe = probeLease && grant.tokenSeq() == leaseWindow;
        if (report.isEmpty()) {
            if (probe) {
                // The fleet waits for the probe: say it learned nothing, or failed, so that others may go.
                probeLease = false;
                store.report(hash, report, grant.tokenSeq());
            }
            return;
        }
        lastReport = report;
        boolean free = grant.tokenSeq() < 0;
        if (probe || free) {
            // The fleet waits for this report to learn the window: give it at once.
            probeLease = false;
            store.report(hash, report, grant.tokenSeq());
        } else {
            pendingReport = report;
            pendingWindow = grant.tokenSeq();
        }
    }

    @Override
    public synchronized long nextChanceNanos(long tokens, long nowNanos) {
        if (local(nowNanos)) {
            shareMirror();
            long next = mirror.nextChanceNanos(tokens, nowNanos);
            // Local only for a while after a failed call: look at the store again when that while ends.
            return store.healthy() ? Math.min(next, localUntilNanos) : next;
        }
        if (nowNanos - freeUntilNanos < 0
                || (nowNanos - leaseUntilNanos < 0 && leaseRequests >= 1 && leaseTokens >= tokens)) {
            return nowNanos;
        }
        if (nowNanos - waitUntilNanos < 0) {
            return waitUntilNanos;
        }
        // Not asked yet: asking is cheap and likely to give a lease, so it counts as now. Asked: its reply wakes
        // the queue; this is only the fallback.
        return asking ? nowNanos + RETRY_MILLIS * 1_000_000L : nowNanos;
    }

    @Override
    public long perWindow() {
        return mirror.perWindow();
    }

    @Override
    public long windowNanos() {
        return mirror.windowNanos();
    }

    @Override
    public synchronized boolean idle(long nowNanos) {
        return !asking && nowNanos - leaseUntilNanos >= 0 && mirror.idle(nowNanos);
    }

    @Override
    public synchronized long requestsLeft(long nowNanos) {
        return local(nowNanos) ? mirror.requestsLeft(nowNanos) : (nowNanos - leaseUntilNanos < 0 ? leaseRequests : 0);
    }
}
