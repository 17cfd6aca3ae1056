package dev.breakwater.resilience;

import dev.breakwater.config.Provider;
import dev.breakwater.config.RetrySpec;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether an attempt's outcome is worth retrying for a given request: the status or failure must be
 * transient, the body replayable, and repeating the method safe (RFC 9110 section 9.2.2).
 *
 * <p>Methods outside {@code retry-methods} are repeated only with an {@code Idempotency-Key}, or when the
 * failure proves the upstream never received it (a connect failure).
 *
 * <p>For {@code provider: openai} it also knows what retrying cannot fix: 400, 401, 403, 404 and 422, a 429 that
 * means the account is out of quota or credit, and an upstream {@code x-should-retry: false}; an upstream
 * {@code x-should-retry: true} makes an otherwise unlisted status retryable.
 */
public class RetryClassifier {
    private static final Set<Integer> OPENAI_NEVER = Set.of(400, 401, 403, 404, 422);

    private final Set<Integer> retryOnStatus;
    private final Set<String> retryMethods;
    private final boolean openai;

    public RetryClassifier(RetrySpec spec, Provider provider) {
        this.retryOnStatus = spec.retryOnStatus();
        this.retryMethods = spec.retryMethods();
        this.openai = provider == Provider.OPENAI;
    }

    /** A classifier without provider knowledge. */
    public RetryClassifier(RetrySpec spec) {
        this(spec, Provider.GENERIC);
    }

    /** The verdict for a response with {@code status} and no headers worth reading. */
    public RetryVerdict onStatus(RequestFacts request, int status) {
        return onResponse(request, ResponseHead.ofStatus(status));
    }

    /** The verdict for a response head. */
    public RetryVerdict onResponse(RequestFacts request, ResponseHead head) {
        int status = head.status();
        boolean upstreamSaysRetry = false;
        // Like OpenAI's SDKs, read x-should-retry on error responses only: a success is never repeated.
        if (openai && status >= 400) {
            String shouldRetry = head.header("x-should-retry");
            if ("false".equalsIgnoreCase(trim(shouldRetry))) {
                return RetryVerdict.stop("upstream_should_retry_false");
            }
            if (OPENAI_NEVER.contains(status)) {
                return RetryVerdict.stop("status_not_retryable");
            }
            if (status == 429 && (isQuotaError(head.errorCode()) || isQuotaError(head.errorType()))) {
                return RetryVerdict.stop("insufficient_quota");
            }
            upstreamSaysRetry = "true".equalsIgnoreCase(trim(shouldRetry));
        }
        if (!retryOnStatus.contains(status) && !upstreamSaysRetry) {
            return RetryVerdict.stop("status_not_retryable");
        }
        return gate(request, false, "status_" + status);
    }

    /** True when the route's classification needs the error body of a response with {@code status}. */
    public boolean wantsErrorBody(int status) {
        return openai && status == 429;
    }

    /** The verdict for an attempt that failed before response headers. */
    /**
     * True when the request may run twice: its method is one the route retries, or it carries an
     * {@code Idempotency-Key}. A stale pooled connection's request is sent again on this basis alone.
     */
    public boolean mayRepeat(RequestFacts request) {
        return request.idempotencyKey() || retryMethods.contains(request.method());
    }

    public RetryVerdict onFailure(RequestFacts request, FailureKind kind) {
        return gate(request, kind.provesNotReceived(), kind.label());
    }

    /**
     * True for OpenAI errors that mean the account is out of quota, credit or budget, which no retry can fix:
     * {@code insufficient_quota}, {@code billing_hard_limit_reached}, {@code billing_not_active},
     * {@code credit_balance_exhausted} and their kin.
     */
    static boolean isQuotaError(String codeOrType) {
        if (codeOrType == null) {
            return false;
        }
        String c = codeOrType.toLowerCase(Locale.ROOT);
        return c.contains("quota") || c.contains("billing") || c.contains("credit");
    }

    private RetryVerdict gate(RequestFacts request, boolean neverReceived, String reason) {
        if (!request.replayable()) {
            return RetryVerdict.stop("body_not_replayable");
        }
        if (neverReceived || mayRepeat(request)) {
            return RetryVerdict.retry(reason);
        }
        return RetryVerdict.stop("method_not_retryable");
    }

    private static String trim(String value) {
        return value == null ? null : value.trim();
    }
}
