package dev.breakwater.resilience;

import java.util.function.BiConsumer;

/**
 * A pacing budget shared by a fleet (Redis): leases of a key's budget are taken from it in batches, and the
 * answers' reports are given back to it, so that the fleet as a whole stays under the upstream's limit. Keys are
 * {@link GateKeys#fleetHash hashes}; nothing secret is ever sent. Implementations never block; a failed call
 * counts against the store's health, and while it is not {@link #healthy()} every key is paced locally at
 * {@link #fallbackShare()} of its last known budget.
 */
public interface BudgetStore {
    /** How long a probe of an unknown window may stay unanswered before another one goes (here and in Redis). */
    long PROBE_TIMEOUT_MILLIS = 1_000;

    /** False while the store is unreachable (its breaker is open). */
    boolean healthy();

    /** The share of a key's budget one instance may use while the store is unreachable, 0 to 1. */
    double fallbackShare();

    /** Asks for a lease of {@code hash}'s budget; {@code done} runs on any thread, with a reply or a failure. */
    void take(String hash, LeaseRequest request, BiConsumer<LeaseReply, Throwable> done);

    /**
     * Gives a probe's report to the shared budget at once: it opens the window for the fleet. {@link
     * BudgetReport#NONE} says the upstream reports no limits; {@link BudgetReport#FAILED} that the probe got no
     * answer, so another may go.
     */
    void report(String hash, BudgetReport report, long window);

    /**
     * What one instance asks of the shared budget.
     *
     * @param requests how many requests it would like to lease
     * @param tokens the tokens it would like with them
     * @param tokensPerRequest the tokens of the request waiting now: fewer are no use
     * @param headroom the share of each limit left unused
     * @param report the latest report of the key not yet given to the store, or null
     * @param reportWindow the shared window the report's grant belonged to, or -1
     */
    record LeaseRequest(
            int requests,
            long tokens,
            long tokensPerRequest,
            double headroom,
            BudgetReport report,
            long reportWindow) {}

    /**
     * The store's answer.
     *
     * @param state what it means
     * @param requests requests leased
     * @param tokens tokens leased
     * @param millis for a lease, until the window ends; for {@link State#WAIT}, how long to wait
     * @param window the shared window's number, for telling reports of this window from older ones
     */
    record LeaseReply(State state, int requests, long tokens, long millis, long window) {}

    /** What a {@link LeaseReply} means. */
    enum State {
        /** No limit is known for the key yet: go, and report what the answers say. */
        UNKNOWN,
        /** A lease of the current window. */
        LEASED,
        /** A lease of one request to learn a new window: report its answer at once. */
        PROBE,
        /** Nothing fits now. */
        WAIT
    }
}
