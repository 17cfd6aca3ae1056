package dev.breakwater.resilience;

/**
 * What one answer said about its rate-limit key's budget: for requests and for tokens, the limit, what is left
 * and the milliseconds until the window resets; -1 for what it did not say.
 */
public record BudgetReport(
        long requestLimit,
        long requestsRemaining,
        long requestsResetMillis,
        long tokenLimit,
        long tokensRemaining,
        long tokensResetMillis) {
    /** An answer that reported nothing. */
    public static final BudgetReport NONE = new BudgetReport(-1, -1, -1, -1, -1, -1);

    /** No answer at all: the attempt failed or was abandoned. */
    public static final BudgetReport FAILED = new BudgetReport(-2, -2, -2, -2, -2, -2);

    /** True when the requests' limit, remainder and reset are all known. */
    public boolean hasRequests() {
        return requestLimit > 0 && requestsRemaining >= 0 && requestsResetMillis >= 0;
    }

    /** True when the tokens' limit, remainder and reset are all known. */
    public boolean hasTokens() {
        return tokenLimit > 0 && tokensRemaining >= 0 && tokensResetMillis >= 0;
    }

    /** True when neither dimension is known. */
    public boolean isEmpty() {
        return !hasRequests() && !hasTokens();
    }
}
