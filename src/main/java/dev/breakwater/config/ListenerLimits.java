package dev.breakwater.config;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The {@code limits} section: what keeps one hostile or buggy client from exhausting the process. Read once, at
 * start (changing it needs a restart, like {@code listen}).
 *
 * @param maxConnections proxy-listener connections open at once; empty means automatic: half of the process's
 *     file-descriptor limit less a reserve, so that every client connection can still open its upstream one and
 *     the admin listener keeps answering. At the limit the longest-idle connection (no request in flight) is
 *     closed to make room; when none is idle the new connection is closed at once.
 * @param maxConnectionsPerClient connections one client address may hold; the same rule applies per address
 * @param idleTimeout how long a keep-alive connection may sit with no request in flight before it is closed
 * @param headerReadTimeout how long a client may take to send one complete request head, counted from its
 *     first byte (or from the connection's accept for its first request): slowloris protection
 * @param maxBufferedBodies bytes that all replay buffers together may hold; empty means automatic: a quarter of
 *     the maximum heap. A body that does not fit is streamed to the upstream once, without replay.
 */
public record ListenerLimits(
        OptionalInt maxConnections,
        int maxConnectionsPerClient,
        Duration idleTimeout,
        Duration headerReadTimeout,
        OptionalLong maxBufferedBodies) {

    /** The built-in defaults. */
    public static final ListenerLimits DEFAULT = new ListenerLimits(
            OptionalInt.empty(), 1024, Duration.ofSeconds(60), Duration.ofSeconds(10), OptionalLong.empty());

    /** File descriptors kept free for upstream connections' peers, the admin listener, logs and the JVM. */
    static final int DESCRIPTOR_RESERVE = 512;

    /** The connection limit in force: the configured one, or half the descriptors left after the reserve. */
    public int effectiveMaxConnections(long descriptorLimit) {
        if (maxConnections.isPresent()) {
            return maxConnections.getAsInt();
        }
        long usable = Math.max(64, (descriptorLimit - DESCRIPTOR_RESERVE) / 2);
        return (int) Math.min(Integer.MAX_VALUE, usable);
    }

    /** The buffered-body budget in force: the configured one, or a quarter of {@code maxHeapBytes}. */
    public long effectiveMaxBufferedBodies(long maxHeapBytes) {
        return maxBufferedBodies.orElse(Math.max(1L << 20, maxHeapBytes / 4));
    }
}
