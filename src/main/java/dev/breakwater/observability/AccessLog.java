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
        CLIENT_CLOSED,
        /** A duplicate of a request with the same {@code Idempotency-Key} got that request's stored response. */
        REPLAYED;

        /** The snake_case spelling used in logs. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One finished request, as its access-log line shows it.
     *
     * @param route the route's name, or {@code -} when none matched
     * @param path the request path (never the query)
     * @param status the status sent, or 0 when none was
     * @param attempts upstream attempts made
     * @param reason why it ended so: the last decision's reason, or Breakwater's error code
     * @param upstream the name of the upstream of the last attempt, or null when none was made
     * @param traceparent the W3C {@code traceparent} the client sent, or null
     * @param traceId the trace id of the request's span when tracing is on, else null
     * @param spanId the id of the request's span when tracing is on, else null
     */
    public record Entry(
            String requestId,
            String route,
            String method,
            String path,
            int status,
            int attempts,
            long durationNanos,
            Outcome outcome,
            String reason,
            String upstream,
            String traceparent,
            String traceId,
            String spanId) {}

    /** Writes the line for one finished request. */
    public void request(Entry entry) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        int count = 10 + (entry.traceparent() == null ? 0 : 1) + (entry.traceId() == null ? 0 : 2);
        Object[] fields = new Object[count];
        fields[0] = kv("request_id", entry.requestId());
        fields[1] = kv("route", entry.route());
        fields[2] = kv("method", entry.method());
        fields[3] = kv("path", entry.path());
        fields[4] = kv("status", entry.status());
        fields[5] = kv("attempts", entry.attempts());
        fields[6] = kv("duration_ms", entry.durationNanos() / 1_000_000.0);
        fields[7] = kv("outcome", entry.outcome().label());
        fields[8] = kv("reason", entry.reason());
        fields[9] = kv("upstream", entry.upstream() == null ? "-" : entry.upstream());
        int next = 10;
        if (entry.traceparent() != null) {
            fields[next++] = kv("traceparent", entry.traceparent());
        }
        if (entry.traceId() != null) {
            fields[next++] = kv("trace_id", entry.traceId());
            fields[next] = kv("span_id", entry.spanId());
        }
        LOG.info("request", fields);
    }
}
