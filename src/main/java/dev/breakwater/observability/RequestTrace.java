package dev.breakwater.observability;

import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.TokenUsage;
import java.util.function.BiConsumer;

/**
 * One request's trace: its server span and one client span per upstream attempt. The proxy reports what happens
 * (an attempt starts, answers or fails, a decision, a hold at the gate, the end) and this turns it into spans,
 * attributes and events.
 *
 * <p>{@link #OFF}, the trace of every request while tracing is off, does nothing and holds nothing, so the hot path
 * pays one call that returns at once; callers that would compute an argument ask {@link #enabled()} first. All
 * methods are called on the request's event loop.
 */
public interface RequestTrace {
    /** No trace: every method does nothing. */
    RequestTrace OFF = new RequestTrace() {};

    /** True when spans are made for this request. */
    default boolean enabled() {
        return false;
    }

    /**
     * An attempt starts: its client span opens, a child of the request's span.
     *
     * @param resendCount attempts before this one (0 for the first)
     * @param upstream the upstream's name
     * @param host the upstream's host
     * @param port the upstream's port
     * @param model the model the upstream is asked for, or null
     */
    default void attemptStarted(int resendCount, String upstream, String host, int port, String model) {}

    /** Writes the current attempt's own {@code traceparent} (and {@code tracestate}) into its upstream headers. */
    default void injectAttempt(BiConsumer<String, String> headers) {}

    /** The current attempt got a response head (or a stream's first event) with {@code status}. */
    default void attemptAnswered(int status) {}

    /** The current attempt failed before a response: {@code errorType} names why in words. */
    default void attemptFailed(String errorType) {}

    /** A decision after an attempt: an event, and a retry's wait and reason go on the next attempt's span. */
    default void decided(RetryDecision decision, String result) {}

    /** The request is held at a rate-limit gate (a 429 closure or pacing) for about {@code waitMillis}. */
    default void held(long waitMillis) {}

    /** Breakwater refused the request itself: {@code code} is {@code circuit_open} or {@code rate_limited}. */
    default void refused(String code) {}

    /**
     * The request ended: the last attempt's span and the request's span close.
     *
     * @param status the status sent, or 0 when none was
     * @param outcome the access log's outcome
     * @param reason the access log's reason
     * @param usage the tokens the response reported, or null
     * @param responseModel the model the response named, or null
     */
    default void finished(
            int status, AccessLog.Outcome outcome, String reason, TokenUsage usage, String responseModel) {}

    /** The request span's trace id (32 hex digits), or null without a trace. */
    default String traceId() {
        return null;
    }

    /** The request span's id (16 hex digits), or null without a trace. */
    default String spanId() {
        return null;
    }

    /** True when the request's span is sampled: exported, so an exemplar may point at it. */
    default boolean sampled() {
        return false;
    }

    /** The id of the current (or last) attempt's span, else the request span's; null without a trace. */
    default String attemptSpanId() {
        return null;
    }
}
