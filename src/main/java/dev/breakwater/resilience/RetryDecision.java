package dev.breakwater.resilience;

/**
 * What happens after one attempt: {@link Retry} after a wait, or {@link Stop} and answer the client with what
 * the attempt produced.
 */
public sealed interface RetryDecision {
    /** The number of the attempt just finished, 1-based. */
    int attempt();

    /** What set (or would have set) the wait. */
    WaitSource waitSource();

    /** The wait the upstream asked for, or -1 when it named none. */
    long serverHintMillis();

    /** Why: the retried outcome, or the stop reason, as a log label. */
    String reasonLabel();

    /** True when the upstream named a time before which it should not be called again. */
    default boolean hasServerHint() {
        return serverHintMillis() >= 0;
    }

    /**
     * Try again after {@code delayMillis}.
     *
     * @param cause what the attempt ended with, as a log label ({@code status_503}, {@code connect_failure})
     */
    record Retry(int attempt, long delayMillis, WaitSource waitSource, long serverHintMillis, String cause)
            implements RetryDecision {
        @Override
        public String reasonLabel() {
            return cause;
        }

        /** This retry refused by a limit after the policy wanted it. */
        Stop refusedBy(StopReason reason) {
            return new Stop(attempt, reason, waitSource, serverHintMillis);
        }
    }

    /** Make no further attempt, because of {@code reason}. */
    record Stop(int attempt, StopReason reason, WaitSource waitSource, long serverHintMillis) implements RetryDecision {
        @Override
        public String reasonLabel() {
            return reason.label();
        }
    }
}
