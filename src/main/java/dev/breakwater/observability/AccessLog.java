package dev.breakwater.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request on the {@code breakwater.access} logger: request id, route, method, path (never the
 * query, which may hold keys), status, attempts, duration and outcome. Headers are never logged.
 */
public final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("breakwater.access");

    /** How a request ended. */
    public enum Outcome {
        /** The upstream's response was relayed complete. */
        OK,
        /** The upstream's 5xx response was relayed complete (retries did not help or were not allowed). */
        UPSTREAM_ERROR,
        /** Breakwater answered with its own error (unreachable, timeout, deadline, no route...). */
        PROXY_ERROR,
        /** The response was cut after commit (stream broken, idle, deadline). */
        INTERRUPTED,
        /** The client went away first. */
        CLIENT_CLOSED;

        /** The snake_case spelling used in logs. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Writes the line for one finished request.
     *
     * @param traceparent the W3C {@code traceparent} the client sent (passed upstream unchanged), or null
     */
    public void request(String requestId, String route, String method, String path, int status, int attempts,
            long durationNanos, Outcome outcome, String reason, String traceparent) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        if (traceparent == null) {
            LOG.info("request", kv("request_id", requestId), kv("route", route),
                    kv("method", method),
                    kv("path", path), kv("status", status), kv("attempts", attempts),
                    kv("duration_ms", durationNanos / 1_000_000.0), kv("outcome", outcome.label()),
                    kv("reason", reason));
        } else {
            LOG.info("request", kv("request_id", requestId), kv("route", route),
                    kv("method", method),
                    kv("path", path), kv("status", status), kv("attempts", attempts),
                    kv("duration_ms", durationNanos / 1_000_000.0), kv("outcome", outcome.label()),
                    kv("reason", reason), kv("traceparent", traceparent));
        }
    }
}
