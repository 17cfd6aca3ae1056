package dev.breakwater.resilience;

/**
 * One dimension (requests, or tokens) of a rate-limit key's budget, as its upstream last reported it: the limit,
 * when the window resets, and how much of it was granted since it began.
 *
 * <p>The rules, the same here and in the fleet's Redis script ({@code fleet/budget.lua}):
 *
 * <ul>
 *   <li>Nothing known yet (no answer reported a limit): everything goes, so the first answers can report.
 *   <li>In a known window, a grant must fit {@code limit × (1 − headroom)} less what counts as granted. A
 *       report sets that count to {@code limit − remaining} (what the upstream counted, other clients of the
 *       key included) plus the grants still unanswered (which it may not have counted yet): it rises when
 *       another client shares the key, and falls as a refilling budget (OpenAI's) frees room. Only the answer
 *       to the latest grant reported so far may lower it: answers overtake each other, and an older one's
 *       {@code remaining} was counted before the newer requests arrived.
 *   <li>When the window's reset time passes, the budget is whole again, but when the next window ends is not
 *       known until an answer from it reports: one probe goes first, and its report opens the window for the
 *       rest. A probe that gets no report (failed, or no headers) lets the next one go; so does one unanswered
 *       for {@value #PROBE_TIMEOUT_MILLIS} ms.
 *   <li>A report of a window that ended already, or from an answer granted before the current window began,
 *       speaks of the past and is ignored.
 * </ul>
 *
 * <p>A request larger than the whole usable limit goes as the first grant of a window, so that it is not
 * starved. Not thread-safe: its owner serialises access.
 */
final class WindowBudget {
    static final long PROBE_TIMEOUT_MILLIS = BudgetStore.PROBE_TIMEOUT_MILLIS;
    private static final long NONE = Long.MIN_VALUE;

    private final double usableShare;
    private long limit = -1;
    private boolean windowKnown;
    private long resetAtNanos;
    private long granted;
    /** Units granted and not yet answered, over all windows. */
    private long inflight;
    /** The sequence number of the latest grant whose answer set the count. */
    private long lastReportSeq = -1;
    /** Units granted since this budget was made: grant sequence numbers. */
    private long total;

    private long windowStartSeq;
    private long probeAtNanos = NONE;
    /** The longest reset reported: about one window, for estimating waits. */
    private long windowNanos;
    /** Scales the reported limit: 1, or this instance's share of a fleet's budget while Redis is unreachable. */
    private double share = 1;

    /** @param headroom the share of each limit left unused, 0 to 0.5 */
    WindowBudget(double headroom) {
        this.usableShare = 1 - headroom;
    }

    /**
     * Takes {@code units} if they fit now.
     *
     * @return the grant's sequence number (what {@link #report} needs back), or -1 when they do not fit
     */
    long tryTake(long units, long nowNanos) {
        if (!fits(units, nowNanos)) {
            return -1;
        }
        if (limit >= 0 && !windowKnown) {
            probeAtNanos = nowNanos;
        }
        long seq = total;
        total += units;
        granted += units;
        inflight += units;
        return seq;
    }

    /** True when {@link #tryTake} of {@code units} would succeed now; rolls an ended window over. */
    boolean fits(long units, long nowNanos) {
        roll(nowNanos);
        if (limit < 0) {
            return true;
        }
        if (!windowKnown) {
            return probeAtNanos == NONE || nowNanos - probeAtNanos >= PROBE_TIMEOUT_MILLIS * 1_000_000L;
        }
        long usable = usable();
        return units <= usable - granted || granted == 0;
    }

    /**
     * An answer reported the upstream's view of this dimension.
     *
     * @param seq the sequence number its grant got, or -1 when it had none
     * @param units what its grant took (0 when it had none)
     */
    void report(long reportedLimit, long remaining, long resetInNanos, long seq, long units, long nowNanos) {
        if (reportedLimit <= 0 || resetInNanos <= 0) {
            answered(seq, units, nowNanos);
            return;
        }
        settle(seq, units);
        roll(nowNanos);
        if (seq >= 0 && seq < windowStartSeq) {
            return;
        }
        limit = reportedLimit;
        resetAtNanos = nowNanos + resetInNanos;
        windowKnown = true;
        probeAtNanos = NONE;
        windowNanos = Math.max(windowNanos, resetInNanos);
        long counted = Math.max(0, reportedLimit - Math.max(0, remaining)) + inflight;
        if (seq >= lastReportSeq) {
            lastReportSeq = seq;
            granted = counted;
        } else {
            granted = Math.max(granted, counted);
        }
    }

    /**
     * An answer (or a failure) reported nothing: its grant is no longer in flight, and a probe out for an unknown
     * window may be followed by another.
     */
    void answered(long seq, long units, long nowNanos) {
        settle(seq, units);
        if (!windowKnown && seq >= windowStartSeq) {
            probeAtNanos = NONE;
        }
    }

    private void settle(long seq, long units) {
        if (seq >= 0) {
            inflight = Math.max(0, inflight - units);
        }
    }

    /**
     * When a grant that does not fit now may fit: the window's reset, or when a probe times out. {@code nowNanos}
     * when it fits now.
     */
    long nextChanceNanos(long nowNanos) {
        if (limit < 0) {
            return nowNanos;
        }
        if (!windowKnown) {
            return probeAtNanos == NONE ? nowNanos : probeAtNanos + PROBE_TIMEOUT_MILLIS * 1_000_000L;
        }
        return resetAtNanos;
    }

    /** Grants that fit one whole window, at least 1 (for estimating how long a queue takes to drain). */
    long perWindow() {
        return Math.max(1, usable());
    }

    /** About one window's length, or 0 when none was reported. */
    long windowNanos() {
        return windowNanos;
    }

    /** Paces at {@code share} of the reported limit (a fleet member while Redis is unreachable), or 1. */
    void share(double share) {
        this.share = share;
    }

    /** The limit last reported, or -1 when none was. */
    long limit() {
        return limit;
    }

    /** What is left of the usable limit in the current window, or -1 when unknown. */
    long left(long nowNanos) {
        roll(nowNanos);
        return limit < 0 || !windowKnown ? -1 : Math.max(0, usable() - granted);
    }

    private long usable() {
        return (long) Math.floor(limit * share * usableShare);
    }

    private void roll(long nowNanos) {
        if (windowKnown && nowNanos - resetAtNanos >= 0) {
            windowKnown = false;
            granted = 0;
            windowStartSeq = total;
            probeAtNanos = NONE;
        }
    }
}
