package dev.breakwater.resilience;

/**
 * How an upstream attempt failed before any response headers arrived, or, for a streamed response held until its
 * first event, before that event.
 */
public enum FailureKind {
    /** No connection could be made (refused, unreachable, connect timeout, TLS handshake): the upstream never saw
     * the request, so retrying is safe for every method. */
    CONNECT_FAILURE("connect_failure", true),
    /** The connection broke after the request was (perhaps partly) sent and before headers came back. */
    RESET_BEFORE_HEADERS("reset_before_headers", false),
    /** The response headers did not arrive within the per-attempt {@code response} timeout. */
    RESPONSE_TIMEOUT("response_timeout", false),
    /** The upstream answered with something that is not a usable response: a malformed head, or
     * {@code 101 Switching Protocols} to a request that asked for no upgrade. */
    PROTOCOL_ERROR("protocol_error", false),
    /** A streamed response broke off, or ended, before its first event that carries content. */
    STREAM_CUT_BEFORE_FIRST_EVENT("stream_cut_before_first_event", false),
    /** A streamed response sent no content event within the route's {@code stream.first-event-timeout}. */
    FIRST_EVENT_TIMEOUT("first_event_timeout", false);

    private final String label;
    private final boolean provesNotReceived;

    FailureKind(String label, boolean provesNotReceived) {
        this.label = label;
        this.provesNotReceived = provesNotReceived;
    }

    /** The snake_case name used in logs and metrics. */
    public String label() {
        return label;
    }

    /** True when the failure proves the upstream never received the request. */
    public boolean provesNotReceived() {
        return provesNotReceived;
    }
}
