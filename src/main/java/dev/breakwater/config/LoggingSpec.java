package dev.breakwater.config;

/**
 * How Breakwater logs. The environment variables {@code BREAKWATER_LOG_LEVEL} and {@code BREAKWATER_LOG_FORMAT}
 * override these when set.
 *
 * @param level TRACE, DEBUG, INFO, WARN or ERROR (default INFO)
 * @param format {@code json} (one JSON object per line, the default) or {@code text}
 */
public record LoggingSpec(String level, String format) {
    /** INFO, JSON lines. */
    public static final LoggingSpec DEFAULT = new LoggingSpec("INFO", "json");
}
