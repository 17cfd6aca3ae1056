package dev.breakwater.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.WaitSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per retry decision on the {@code breakwater.retry} logger: which attempt, what it ended with
 * (a status or an exception type), whether another attempt follows, after how long, and why. Each decision is
 * also kept in {@link RecentDecisions} for the status page.
 */
public final class RetryLog {
    private static final Logger LOG = LoggerFactory.getLogger("breakwater.retry");

    // Messages without placeholders: logback's AsyncAppender formats each message on the calling thread (the
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
     * Logs the decision taken after attempt {@code decision.attempt()}.
     *
     * @param upstream the upstream the attempt went to
     * @param result the attempt's status code, or its exception type
     * @param traceId the request's trace id when tracing is on, else null
     * @param spanId the span id of the attempt decided on when tracing is on, else null
     */
    public void decision(
            String requestId,
            String route,
            String upstream,
            String result,
            RetryDecision decision,
            String traceId,
            String spanId) {
        boolean retry = decision instanceof RetryDecision.Retry;
        long delay = decision instanceof RetryDecision.Retry r ? r.delayMillis() : 0;
        write(
                retry ? RETRY : GIVE_UP,
                new RecentDecisions.Entry(
                        route,
                        upstream,
                        requestId,
                        decision.attempt(),
                        result,
                        retry ? "retry" : "stop",
                        delay,
                        decision.waitSource().label(),
                        decision.reasonLabel()),
                traceId,
                spanId);
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
                traceId,
                spanId);
    }

    private void write(String message, RecentDecisions.Entry entry, String traceId, String spanId) {
        recent.add(entry);
        if (!LOG.isInfoEnabled()) {
            return;
        }
        if (traceId != null) {
            LOG.info(
                    message,
                    kv("request_id", entry.requestId()),
                    kv("route", entry.route()),
                    kv("upstream", entry.upstream()),
                    kv("attempt", entry.attempt()),
                    kv("result", entry.result()),
                    kv("action", entry.action()),
                    kv("delay_ms", entry.delayMillis()),
                    kv("hint", entry.hint()),
                    kv("reason", entry.reason()),
                    kv("trace_id", traceId),
                    kv("span_id", spanId));
            return;
        }
        LOG.info(
                message,
                kv("request_id", entry.requestId()),
                kv("route", entry.route()),
                kv("upstream", entry.upstream()),
                kv("attempt", entry.attempt()),
                kv("result", entry.result()),
                kv("action", entry.action()),
                kv("delay_ms", entry.delayMillis()),
                kv("hint", entry.hint()),
                kv("reason", entry.reason()));
    }
}
