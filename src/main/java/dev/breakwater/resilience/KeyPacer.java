package dev.breakwater.resilience;

/**
 * The pacing budget of one rate-limit key: whether an attempt with an estimated token cost fits it now, and
 * what answers report about it. Implementations are guarded by the gate's per-key monitor.
 */
public interface KeyPacer {
    /** Takes one request and {@code tokens} tokens if they fit now; null when they do not. */
    Grant tryTake(long tokens, long nowNanos);

    /** An answer to the attempt granted {@code grant} reported {@code report} (possibly {@link BudgetReport#NONE}). */
    void report(Grant grant, BudgetReport report, long nowNanos);

    /** When an attempt costing {@code tokens} that does not fit now may fit ({@code nowNanos} or earlier: now). */
    long nextChanceNanos(long tokens, long nowNanos);

    /** Requests that fit one window, at least 1. */
    long perWindow();

    /** About one window's length in nanoseconds, 0 when unknown. */
    long windowNanos();

    /** True when this pacer knows nothing that is still current, so the key's state may be forgotten. */
    boolean idle(long nowNanos);

    /** Requests left in the current window, or -1 when unknown (for the admin API). */
    long requestsLeft(long nowNanos);
}
