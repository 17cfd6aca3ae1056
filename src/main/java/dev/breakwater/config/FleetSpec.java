package dev.breakwater.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The top-level {@code fleet} section: the Redis through which every Breakwater pointing at it shares rate-limit
 * closures, the pacing budget and, optionally, breaker openings.
 *
 * @param host the Redis host
 * @param port the Redis port
 * @param tls true for {@code rediss://}
 * @param password the Redis password ({@code password:} or the URL's), if any
 * @param database the Redis database number (the URL's path), 0 by default
 * @param keyPrefix the prefix of every Redis key and channel Breakwater uses (default {@code breakwater})
 * @param shareBreakers true tells the other instances when a breaker opens here
 * @param fallbackShare the share of the last known budget one instance paces at while Redis is unreachable;
 *     empty: one over the number of instances last seen alive
 * @param timeout the longest any Redis call may take before it counts as failed (default 250ms)
 */
public record FleetSpec(
        String host,
        int port,
        boolean tls,
        Optional<String> password,
        int database,
        String keyPrefix,
        boolean shareBreakers,
        Optional<Double> fallbackShare,
        Duration timeout) {
    /** The default key prefix. */
    public static final String DEFAULT_KEY_PREFIX = "breakwater";
    /** The default Redis call timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(250);

    public FleetSpec {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
    }

    /** The connection string for the Redis client, password included: never log it. */
    public String connectionString() {
        String auth = password.map(
                        p -> ":" + java.net.URLEncoder.encode(p, java.nio.charset.StandardCharsets.UTF_8) + "@")
                .orElse("");
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + auth + hostPart + ":" + port + "/" + database;
    }

    /** Never print the password. */
    @Override
    public String toString() {
        return "FleetSpec[" + (tls ? "rediss://" : "redis://") + host + ":" + port + "/" + database + ", keyPrefix="
                + keyPrefix + ", password=" + password.map(p -> "***").orElse("none") + ", shareBreakers="
                + shareBreakers + ", fallbackShare="
                + fallbackShare.map(String::valueOf).orElse("auto")
                + ", timeout=" + timeout + "]";
    }
}
