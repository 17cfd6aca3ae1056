package dev.breakwater.config;

import java.util.Locale;
import java.util.Set;

/** An outcome of an attempt that sends the next attempt to the next upstream at once ({@code fallback-on}). */
public enum FallbackClass {
    /** A 429, or the upstream's rate-limit gate closed for the request's key. */
    RATE_LIMITED,
    /** The upstream's circuit breaker is open. */
    CIRCUIT_OPEN,
    /** A 5xx answer, a reset before the response head, or a response that is not HTTP. */
    SERVER_ERROR,
    /** No connection could be made. */
    UNREACHABLE,
    /** No response head within the per-attempt {@code response} timeout. */
    TIMEOUT;

    /** The default {@code fallback-on}: every class. */
    public static final Set<FallbackClass> ALL = Set.of(values());

    /** The spelling used in YAML. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
