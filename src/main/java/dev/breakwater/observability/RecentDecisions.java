package dev.breakwater.observability;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The last few retry decisions, newest first, for the admin status page. Bounded, and shared by all event loops
 * (a short synchronized append per decision; decisions are rare next to requests).
 */
public final class RecentDecisions {
    private static final int CAPACITY = 50;

    private final Deque<JsonObject> decisions = new ArrayDeque<>(CAPACITY);
    private final Clock clock;

    public RecentDecisions(Clock clock) {
        this.clock = clock;
    }

    /**
     * One decision as the status page shows it.
     *
     * @param upstream the upstream the attempt went (or is held) to
     * @param result what the attempt ended with: a status, an exception type, {@code gate_closed}
     * @param action {@code retry}, {@code stop} or {@code wait}
     * @param hint what set the wait
     * @param reason why
     */
    public record Entry(
            String route,
            String upstream,
            String requestId,
            int attempt,
            String result,
            String action,
            long delayMillis,
            String hint,
            String reason) {}

    /** Remembers one decision. */
    public void add(Entry decision) {
        JsonObject entry = new JsonObject()
                .put("time", clock.instant().toString())
                .put("route", decision.route())
                .put("upstream", decision.upstream())
                .put("request_id", decision.requestId())
                .put("attempt", decision.attempt())
                .put("result", decision.result())
                .put("action", decision.action())
                .put("delay_ms", decision.delayMillis())
                .put("hint", decision.hint())
                .put("reason", decision.reason());
        synchronized (decisions) {
            if (decisions.size() == CAPACITY) {
                decisions.removeLast();
            }
            decisions.addFirst(entry);
        }
    }

    /** The remembered decisions, newest first. */
    public JsonArray toJson() {
        synchronized (decisions) {
            return new JsonArray(new java.util.ArrayList<>(decisions));
        }
    }
}
