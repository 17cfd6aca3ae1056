package dev.breakwater.observability;

import io.prometheus.metrics.tracer.common.SpanContext;

/**
 * Gives Prometheus exemplars the trace of the request being recorded: the registry asks for "the current span"
 * when a counter or histogram is updated, and on an event loop the current request is the one whose meters are
 * being recorded, so it is set just around that recording ({@link #recording}). Exemplars appear in the
 * OpenMetrics exposition only, and only for sampled traces, so each links to a trace the backend has.
 *
 * <p>Made only while tracing is on: without it the registry never asks, and recording costs nothing more.
 */
final class TraceExemplars implements SpanContext {
    private final ThreadLocal<RequestTrace> current = new ThreadLocal<>();

    /** Runs {@code recording} with {@code trace} as the current span (a sampled one only). */
    void recording(RequestTrace trace, Runnable recording) {
        if (!trace.sampled()) {
            recording.run();
            return;
        }
        current.set(trace);
        try {
            recording.run();
        } finally {
            current.remove();
        }
    }

    @Override
    public String getCurrentTraceId() {
        RequestTrace trace = current.get();
        return trace == null ? null : trace.traceId();
    }

    @Override
    public String getCurrentSpanId() {
        RequestTrace trace = current.get();
        return trace == null ? null : trace.spanId();
    }

    @Override
    public boolean isCurrentSpanSampled() {
        return current.get() != null;
    }

    @Override
    public void markCurrentSpanAsExemplar() {
        // Nothing to mark: the span is exported whether or not a metric points at it.
    }
}
