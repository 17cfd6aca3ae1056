package dev.breakwater.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.breakwater.resilience.RetryDecision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per retry decision on the {@code breakwater.retry} logger: which attempt, what it ended with
 * (a status or an exception type), whether another attempt follows, after how long, and why.
 */
public final class RetryLog {
    private static final Logger LOG = LoggerFactory.getLogger("breakwater.retry");

    // Messages without placeholders: logback's AsyncAppender formats each message on the calling thread (the
    // event loop) before queueing it, while structured arguments are encoded later on the appender's thread.
    private static final String RETRY = "retry";
    private static final String GIVE_UP = "give_up";

    private final RecentDecisions recent;

    /**
     * @param recent where decisions are also kept for the status page, or null
     */
    public RetryLog(RecentDecisions recent) {
        this.recent = recent;
    }

    public RetryLog() {
        this(null);
    }

    /**
     * Logs the decision taken after attempt {@code decision.attempt()}.
     *
     * @param result the attempt's status code, or its exception type
     */
    public void decision(String requestId, String route, String result, RetryDecision decision) {
        if (recent != null) {
            recent.add(route, requestId, decision.attempt(), result, decision.retry() ? "retry" : "stop",
                    decision.retry() ? decision.delayMillis() : 0, decision.waitSource(), decision.reason());
        }
        if (!LOG.isInfoEnabled()) {
            return;
        }
        LOG.info(decision.retry() ? RETRY : GIVE_UP, kv("request_id", requestId), kv("route", route),
                kv("attempt", decision.attempt()), kv("result", result),
                kv("action", decision.retry() ? "retry" : "stop"),
                kv("delay_ms", decision.retry() ? decision.delayMillis() : 0), kv("hint", decision.waitSource()),
                kv("reason", decision.reason()));
    }

    /** Logs that attempt {@code attempt} is held by the route's rate-limit gate for about {@code waitMillis}. */
    public void held(String requestId, String route, int attempt, long waitMillis) {
        if (recent != null) {
            recent.add(route, requestId, attempt, "gate_closed", "wait", waitMillis, "gate", "rate_limit_gate");
        }
        if (!LOG.isInfoEnabled()) {
            return;
        }
        LOG.info("held", kv("request_id", requestId), kv("route", route), kv("attempt", attempt),
                kv("result", "gate_closed"), kv("action", "wait"), kv("delay_ms", waitMillis), kv("hint", "gate"),
                kv("reason", "rate_limit_gate"));
    }
}
