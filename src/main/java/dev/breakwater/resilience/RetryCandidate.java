package dev.breakwater.resilience;

/**
 * An attempt outcome as Resilience4j sees it: whether it is retryable, and the wait Breakwater planned for it
 * (negative to stop, for example when the wait would pass the deadline).
 */
interface RetryCandidate {
    boolean retryable();

    long plannedDelayMillis();
}
