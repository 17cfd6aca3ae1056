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

    /**
     * Logs the decision taken after attempt {@code decision.attempt()}.
     *
     * @param result the attempt's status code, or its exception type
     */
    public void decision(String requestId, String route, String result, RetryDecision decision) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        LOG.info(decision.retry() ? "retry" : "give_up", kv("request_id", requestId), kv("route", route),
                kv("attempt", decision.attempt()), kv("result", result),
                kv("action", decision.retry() ? "retry" : "stop"),
                kv("delay_ms", decision.retry() ? decision.delayMillis() : 0), kv("hint", decision.waitSource()),
                kv("reason", decision.reason()));
    }

    /** Logs that attempt {@code attempt} is held by the route's rate-limit gate for about {@code waitMillis}. */
    public void held(String requestId, String route, int attempt, long waitMillis) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        LOG.info("held", kv("request_id", requestId), kv("route", route), kv("attempt", attempt),
                kv("result", "gate_closed"), kv("action", "wait"), kv("delay_ms", waitMillis), kv("hint", "gate"),
                kv("reason", "rate_limit_gate"));
    }
}
