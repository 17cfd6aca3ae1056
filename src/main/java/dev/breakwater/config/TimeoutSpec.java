package dev.breakwater.config;

import java.time.Duration;

/**
 * A route's timeouts. {@link Duration#ZERO} disables {@code response}, {@code idle} and {@code total}.
 *
 * @param connect the longest a TCP (and TLS) connect to the upstream may take (default 5s)
 * @param response per attempt: from sending the request until the upstream's response headers arrive (default 120s)
 * @param idle per attempt, after the headers: the longest silence while the response body streams (default 60s)
 * @param total the whole request, every attempt and backoff wait included (default 10m)
 */
public record TimeoutSpec(Duration connect, Duration response, Duration idle, Duration total) {}
