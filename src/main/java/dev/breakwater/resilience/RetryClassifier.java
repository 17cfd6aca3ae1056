package dev.breakwater.resilience;

import dev.breakwater.config.RetrySpec;
import java.util.Set;

/**
 * Decides whether an attempt's outcome is worth retrying for a given request: the status or failure must be
 * transient, the body replayable, and repeating the method safe (RFC 9110 section 9.2.2).
 *
 * <p>Methods outside {@code retry-methods} are repeated only with an {@code Idempotency-Key}, or when the
 * failure proves the upstream never received the request (a connect failure).
 */
public class RetryClassifier {
    private final Set<Integer> retryOnStatus;
    private final Set<String> retryMethods;

    public RetryClassifier(RetrySpec spec) {
        this.retryOnStatus = spec.retryOnStatus();
        this.retryMethods = spec.retryMethods();
    }

    /** The verdict for a response with {@code status}. */
    public RetryVerdict onStatus(RequestFacts request, int status) {
        if (!retryOnStatus.contains(status)) {
            return RetryVerdict.stop("status_not_retryable");
        }
        return gate(request, false, "status_" + status);
    }

    /** The verdict for an attempt that failed before response headers. */
    public RetryVerdict onFailure(RequestFacts request, FailureKind kind) {
        return gate(request, kind.provesNotReceived(), kind.label());
    }

    private RetryVerdict gate(RequestFacts request, boolean neverReceived, String reason) {
        if (!request.replayable()) {
            return RetryVerdict.stop("body_not_replayable");
        }
        if (neverReceived || request.idempotencyKey() || retryMethods.contains(request.method())) {
            return RetryVerdict.retry(reason);
        }
        return RetryVerdict.stop("method_not_retryable");
    }
}
