package dev.breakwater.resilience;

/**
 * A key's pacing budget kept in this process alone: the requests and tokens {@link WindowBudget}s, fed by the
 * key's answers. Also the fleet's stand-in while Redis is unreachable, then pacing at a share of the budget.
 */
final class LocalPacer implements KeyPacer {
    /** How long after its window ended a key's state is kept for the next request. */
    private static final long FORGET_AFTER_NANOS = 60_000_000_000L;

    private final WindowBudget requests;
    private final WindowBudget tokens;
    private long lastUseNanos;

    /** @param headroom the share of each limit left unused, 0 to 0.5 */
    LocalPacer(double headroom, long nowNanos) {
        this.requests = new WindowBudget(headroom);
        this.tokens = new WindowBudget(headroom);
        this.lastUseNanos = nowNanos;
    }

    @Override
    public Grant tryTake(long tokenCost, long nowNanos) {
        lastUseNanos = nowNanos;
        if (!requests.fits(1, nowNanos) || !tokens.fits(tokenCost, nowNanos)) {
            return null;
        }
        return new Grant(requests.tryTake(1, nowNanos), tokens.tryTake(tokenCost, nowNanos), tokenCost);
    }

    @Override
    public void report(Grant grant, BudgetReport report, long nowNanos) {
        lastUseNanos = nowNanos;
        if (report.hasRequests()) {
            requests.report(
                    report.requestLimit(),
                    report.requestsRemaining(),
                    report.requestsResetMillis() * 1_000_000L,
                    grant.requestSeq(),
                    1,
                    nowNanos);
        } else {
            requests.answered(grant.requestSeq(), 1, nowNanos);
        }
        if (report.hasTokens()) {
            tokens.report(
                    report.tokenLimit(),
                    report.tokensRemaining(),
                    report.tokensResetMillis() * 1_000_000L,
                    grant.tokenSeq(),
                    grant.tokens(),
                    nowNanos);
        } else {
            tokens.answered(grant.tokenSeq(), grant.tokens(), nowNanos);
        }
    }

    @Override
    public long nextChanceNanos(long tokenCost, long nowNanos) {
        long next = nowNanos;
        if (!requests.fits(1, nowNanos)) {
            next = requests.nextChanceNanos(nowNanos);
        }
        if (!tokens.fits(tokenCost, nowNanos)) {
            next = Math.max(next, tokens.nextChanceNanos(nowNanos));
        }
        return next;
    }

    @Override
    public long perWindow() {
        return requests.perWindow();
    }

    @Override
    public long windowNanos() {
        return Math.max(requests.windowNanos(), tokens.windowNanos());
    }

    @Override
    public boolean idle(long nowNanos) {
        return nowNanos - lastUseNanos > FORGET_AFTER_NANOS && requests.left(nowNanos) < 0 && tokens.left(nowNanos) < 0;
    }

    @Override
    public long requestsLeft(long nowNanos) {
        return requests.left(nowNanos);
    }

    /** Paces at {@code share} of the reported limits (1: all of them). */
    void share(double share) {
        requests.share(share);
        tokens.share(share);
    }

    /** The requests and tokens limits last reported, -1 when unknown (seeds the fleet's budget). */
    long requestLimit() {
        return requests.limit();
    }
}
