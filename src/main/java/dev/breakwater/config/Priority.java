package dev.breakwater.config;

import java.util.Locale;

/**
 * Where a request held for its rate limit stands in the queue: higher priorities are released first, arrival
 * order decides within one. Set per request by the {@code x-breakwater-priority} header, or by the route.
 */
public enum Priority {
    HIGH,
    NORMAL,
    LOW;

    /** The name used in YAML and in the request header. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The priority named {@code value} (any case), or null when it names none. */
    public static Priority parse(String value) {
        if (value == null) {
            return null;
        }
        for (Priority p : values()) {
            if (p.yamlName().equalsIgnoreCase(value.trim())) {
                return p;
            }
        }
        return null;
    }
}
