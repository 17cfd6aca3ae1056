package dev.breakwater.observability;

import java.util.Locale;
import java.util.function.BiConsumer;
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
        /** The upstream's answer (below 400) was relayed complete. */
        OK,
        /** The upstream's 4xx answer (429 included) was relayed complete: the request, key or quota was refused. */
        CLIENT_ERROR,
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

        /** Spelled once: every request's log line, metric and trace carries it. */
        private final String label = name().toLowerCase(Locale.ROOT);

        /** The snake_case spelling used in logs. */
        public String label() {
            return label;
        }

        /** The outcome of a relayed upstream answer of {@code status}. */
        public static Outcome ofRelayed(int status) {
            return status >= 500 ? UPSTREAM_ERROR : status >= 400 ? CLIENT_ERROR : OK;
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
     * @param upstream where the last attempt went (or was refused), or null when none was chosen
     * @param model the model the request named, or null
     * @param upstreamRequestId the request id the upstream gave its last answer ({@code x-request-id}, or
     *     Anthropic's {@code request-id}), or null
     * @param firstByteNanos from arrival until the response head went out, or -1 when none did
     * @param bytesIn body bytes read from the client
     * @param bytesOut body bytes written to the client
     * @param client the client's address, or null
     * @param error the last failed attempt's cause in its own words (an exception's message), or null
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
            Upstream upstream,
            String model,
            String upstreamRequestId,
            long firstByteNanos,
            long bytesIn,
            long bytesOut,
            String client,
            String error,
            String traceparent,
            String traceId,
            String spanId) {}

    /**
     * The upstream of a request's last attempt.
     *
     * @param name its name in the configuration
     * @param host the host and port it was sent to
     */
    public record Upstream(String name, String host) {}

    /** Writes the line for one finished request. */
    public void request(Entry entry) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        LOG.info("request", new Line(entry));
    }

    /** The fields of one access line, written straight from the entry (see {@link LogFields}). */
    private static final class Line extends LogFields {
        private final Entry entry;

        Line(Entry entry) {
            this.entry = entry;
        }

        @Override
        void forEachField(BiConsumer<String, Object> field) {
            field.accept("request_id", entry.requestId());
            field.accept("route", entry.route());
            field.accept("method", entry.method());
            field.accept("path", entry.path());
            field.accept("status", entry.status());
            field.accept("attempts", entry.attempts());
            field.accept("duration_ms", entry.durationNanos() / 1_000_000.0);
            field.accept("outcome", entry.outcome().label());
            field.accept("reason", entry.reason());
            field.accept(
                    "upstream",
                    entry.upstream() == null ? "-" : entry.upstream().name());
            if (entry.upstream() != null) {
                field.accept("upstream_host", entry.upstream().host());
            }
            if (entry.model() != null) {
                field.accept("model", entry.model());
            }
            if (entry.upstreamRequestId() != null) {
                field.accept("upstream_request_id", entry.upstreamRequestId());
            }
            if (entry.firstByteNanos() >= 0) {
                field.accept("ttfb_ms", entry.firstByteNanos() / 1_000_000.0);
            }
            field.accept("bytes_in", entry.bytesIn());
            field.accept("bytes_out", entry.bytesOut());
            if (entry.client() != null) {
                field.accept("client", entry.client());
            }
            if (entry.error() != null) {
                field.accept("error", entry.error());
            }
            if (entry.traceparent() != null) {
                field.accept("traceparent", entry.traceparent());
            }
            if (entry.traceId() != null) {
                field.accept("trace_id", entry.traceId());
                field.accept("span_id", entry.spanId());
            }
        }
    }
}
