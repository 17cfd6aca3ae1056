package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.observability.RequestIds;
import dev.breakwater.observability.RetryLog;
import dev.breakwater.observability.Tracing;
import dev.breakwater.routing.UpstreamClients;
import dev.breakwater.time.Scheduler;
import dev.breakwater.time.Ticker;

/**
 * The services one event loop's exchanges share: time, upstream clients and logs.
 *
 * @param scheduler timers on this event loop
 * @param ticker the monotonic clock for deadlines and durations
 * @param clients this event loop's pooled upstream clients
 * @param requestIds generator for requests that carry no {@code x-request-id}
 * @param accessLog one line per request
 * @param retryLog one line per retry decision
 * @param tracing spans of requests and attempts, or {@link Tracing#OFF}
 */
record ProxyRuntime(
        Scheduler scheduler,
        Ticker ticker,
        UpstreamClients clients,
        RequestIds requestIds,
        AccessLog accessLog,
        RetryLog retryLog,
        Tracing tracing) {}
