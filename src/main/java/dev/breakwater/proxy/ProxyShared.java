package dev.breakwater.proxy;

import dev.breakwater.config.ListenerLimits;
import dev.breakwater.observability.RecentDecisions;
import dev.breakwater.observability.Tracing;
import dev.breakwater.routing.RouteTable;
import dev.breakwater.time.Ticker;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What every proxy verticle shares with the rest of the process.
 *
 * @param routes the current route table (read per request, so a reload swaps it atomically)
 * @param draining true once shutdown began: new requests are refused
 * @param ticker the monotonic clock for deadlines
 * @param decisions recent retry decisions, for the status page
 * @param shutdownGrace how long requests in flight may run once shutdown began
 * @param limits the listener's connection and timeout limits
 * @param maxConnections the connection limit in force for the whole listener (resolved from {@code limits})
 * @param loops the number of proxy verticles, which share the connection limits between them
 * @param replayMemory the process-wide budget for buffered request bodies
 * @param tracing spans of requests and attempts, or {@link Tracing#OFF}
 */
public record ProxyShared(
        Supplier<RouteTable> routes,
        BooleanSupplier draining,
        Ticker ticker,
        RecentDecisions decisions,
        Duration shutdownGrace,
        ListenerLimits limits,
        int maxConnections,
        int loops,
        ReplayMemory replayMemory,
        Tracing tracing) {

    /** This event loop's share of a listener-wide limit, rounded up. */
    int perLoop(int limit) {
        return (limit + loops - 1) / loops;
    }
}
