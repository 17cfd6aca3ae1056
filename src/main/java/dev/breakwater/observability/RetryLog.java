package dev.breakwater.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.WaitSource;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per retry decision on the {@code breakwater.retry} logger: which attempt, what it ended with
 * (a status or an exception type), whether another attempt follows, after how long, and why. Each decision is
 * also kept in {@link RecentDecisions} for the status page.
 */
public final class RetryLog {
    private static final Logger LOG = LoggerFactory.getLogger("breakwater.retry");

    // Messages without placeholders: the log appender formats each message on the calling thread (the
    // event loop) before queueing it, while structured arguments are encoded later on the appender's thread.
    private static final String RETRY = "retry";
    private static final String GIVE_UP = "give_up";
    private static final String HELD = "held";

    private final RecentDecisions recent;

    /**
     * @param recent where decisions are also kept for the status page
     */
    public RetryLog(RecentDecisions recent) {
        this.recent = recent;
    }

    /**
     * The attempt a decision follows.
     *
     * @param upstream the upstream the attempt went to
     * @param upstreamRequestId the request id of the upstream's answer, or null
     * @param error the cause's own message when the attempt failed without an answer, or null
     * @param traceId the request's trace id when tracing is on, else null
     * @param spanId the span id of the attempt decided on when tracing is on, else null
     */
    public record Attempt(
            String requestId,
            String route,
            String upstream,
            String upstreamRequestId,
            String error,
            String traceId,
            String spanId) {}

    /**
     * Logs the decision taken after attempt {@code decision.attempt()}.
     *
     * @param result the attempt's status code, or its failure in words ({@code connect_refused}...)
     */
    public void decision(Attempt attempt, String result, RetryDecision decision) {
        boolean retry = decision instanceof RetryDecision.Retry;
        long delay = decision instanceof RetryDecision.Retry r ? r.delayMillis() : 0;
        write(
                retry ? RETRY : GIVE_UP,
                new RecentDecisions.Entry(
                        attempt.route(),
                        attempt.upstream(),
                        attempt.requestId(),
                        decision.attempt(),
                        result,
                        retry ? "retry" : "stop",
                        delay,
                        decision.waitSource().label(),
                        decision.reasonLabel()),
                attempt.upstreamRequestId(),
                attempt.error(),
                attempt.traceId(),
                attempt.spanId());
    }

    /**
     * Logs that attempt {@code attempt} is held by the rate-limit gate of {@code upstream} for about
     * {@code waitMillis}; {@code traceId} and {@code spanId} are the request span's when tracing is on, else null.
     */
    public void held(
            String requestId,
            String route,
            String upstream,
            int attempt,
            long waitMillis,
            String traceId,
            String spanId) {
        write(
                HELD,
                new RecentDecisions.Entry(
                        route,
                        upstream,
                        requestId,
                        attempt,
                        "gate_closed",
                        "wait",
                        waitMillis,
                        WaitSource.GATE.label(),
                        "rate_limit_gate"),
                null,
                null,
                traceId,
                spanId);
    }

    private void write(
            String message,
            RecentDecisions.Entry entry,
            String upstreamRequestId,
            String error,
            String traceId,
            String spanId) {
        recent.add(entry);
        if (!LOG.isInfoEnabled()) {
            return;
        }
        Object[] fields = new Object[13];
        int n = 0;
        fields[n++] = kv("request_id", entry.requestId());
        fields[n++] = kv("route", entry.route());
        fields[n++] = kv("upstream", entry.upstream());
        fields[n++] = kv("attempt", entry.attempt());
        fields[n++] = kv("result", entry.result());
        fields[n++] = kv("action", entry.action());
        fields[n++] = kv("delay_ms", entry.delayMillis());
        fields[n++] = kv("hint", entry.hint());
        fields[n++] = kv("reason", entry.reason());
        if (upstreamRequestId != null) {
            fields[n++] = kv("upstream_request_id", upstreamRequestId);
        }
        if (error != null) {
            fields[n++] = kv("error", error);
        }
        if (traceId != null) {
            fields[n++] = kv("trace_id", traceId);
            fields[n++] = kv("span_id", spanId);
        }
        LOG.info(message, n == fields.length ? fields : Arrays.copyOf(fields, n));
    }
}
