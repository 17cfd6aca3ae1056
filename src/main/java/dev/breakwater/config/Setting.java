package dev.breakwater.config;

/**
 * One key of an inheritable section (timeouts, retry, circuit-breaker): its YAML name, built-in default and
 * reader. A section's settings are its table of allowed keys.
 *
 * @param key the YAML key, kebab-case
 * @param builtin the value when neither the route nor {@code defaults} sets it
 * @param reader converts and checks a configured value
 * @param <T> the value type
 */
record Setting<T>(String key, T builtin, ValueReader<T> reader) {}
