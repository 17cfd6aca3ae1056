package dev.breakwater.config;

/** How a circuit breaker's window is measured, as in Resilience4j. */
public enum SlidingWindowType {
    /** The last N calls. */
    COUNT_BASED,
    /** The calls of the last N seconds. */
    TIME_BASED
}
