package dev.breakwater.resilience;

import dev.breakwater.config.RetrySpec;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether an attempt's outcome is worth retrying for a given request: the status or failure must be
 * transient, the body replayable, and repeating the method safe (RFC 9110 section 9.2.2). The route's provider
 * adds what it knows about its own error answers (see {@link ProviderRules}).
 *
 * <p>Methods outside {@code retry-methods} are repeated only with an {@code Idempotency-Key}, or when the
 * failure proves the upstream never received it (a connect failure).
 */
public final class RetryClassifier {
    private static final Optional<StopReason> STATUS_NOT_RETRYABLE = Optional.of(StopReason.STATUS_NOT_RETRYABLE);
    private static final Optional<StopReason> BODY_NOT_REPLAYABLE = Optional.of(StopReason.BODY_NOT_REPLAYABLE);
    private static final Optional<StopReason> METHOD_NOT_RETRYABLE = Optional.of(StopReason.METHOD_NOT_RETRYABLE);

    private final Set<Integer> retryOnStatus;
    private final Set<String> retryMethods;

    public RetryClassifier(RetrySpec spec) {
        this.retryOnStatus = spec.retryOnStatus();
        this.retryMethods = spec.retryMethods();
    }

    /**
     * Why a response with this head may not be retried, or empty when it may.
     *
     * @param provider the rules of the upstream that answered
     */
    public Optional<StopReason> onResponse(RequestFacts request, ResponseHead head, ProviderRules provider) {
        int status = head.status();
        boolean upstreamSaysRetry = false;
        // A success is never repeated, so provider headers are read on error responses only.
        if (status >= 400) {
            Optional<StopReason> never = provider.neverRetry(head);
            if (never.isPresent()) {
                return never;
            }
            upstreamSaysRetry = provider.upstreamSaysRetry(head);
        }
        if (!retryOnStatus.contains(status) && !upstreamSaysRetry) {
            return STATUS_NOT_RETRYABLE;
        }
        return mayRetry(request, false);
    }

    /** Why an attempt that failed before response headers may not be retried, or empty when it may. */
    public Optional<StopReason> onFailure(RequestFacts request, FailureKind kind) {
        return mayRetry(request, kind.provesNotReceived());
    }

    /**
     * True when the request may run twice: its method is one the route retries (on an MCP route, its JSON-RPC call
     * is one that may run twice, whatever {@code retry-methods} says of POST), or it carries an
     * {@code Idempotency-Key}. A stale pooled connection's request is sent again on this basis alone.
     */
    public boolean mayRepeat(RequestFacts request) {
        if (request.call() != null) {
            return request.idempotencyKey() || request.call().repeatable();
        }
        return request.idempotencyKey() || retryMethods.contains(request.method());
    }

    private Optional<StopReason> mayRetry(RequestFacts request, boolean neverReceived) {
        if (!request.replayable()) {
            return BODY_NOT_REPLAYABLE;
        }
        if (neverReceived || mayRepeat(request)) {
            return Optional.empty();
        }
        return METHOD_NOT_RETRYABLE;
    }
}
