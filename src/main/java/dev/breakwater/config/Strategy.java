package dev.breakwater.config;

import java.util.Locale;

/** How a route with fallbacks picks the upstream of each attempt among those that can take it now. */
public enum Strategy {
    /** The first in configured order: the primary while it can answer, then each fallback in turn. */
    FAILOVER,
    /**
     * The one whose last {@code x-ratelimit-remaining-*} headers reported the most capacity left; round-robin
     * while nothing is known.
     */
    SPREAD;

    /** The spelling used in YAML. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
