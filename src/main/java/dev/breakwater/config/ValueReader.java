package dev.breakwater.config;

import java.util.Optional;

/**
 * Converts and checks one YAML value. On failure it reports the problem at the value's path and returns
 * empty, so the caller can carry on collecting problems.
 *
 * @param <T> the converted type
 */
@FunctionalInterface
interface ValueReader<T> {
    Optional<T> read(YamlValue value);
}
