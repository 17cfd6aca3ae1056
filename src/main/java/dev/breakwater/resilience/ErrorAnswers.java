package dev.breakwater.resilience;

import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The error answers an LLM API says no retry can fix, in the order both OpenAI's and Anthropic's SDKs apply them:
 * the upstream's {@code x-should-retry: false}, then the statuses that mean the request itself is wrong, then a
 * 429 whose error code or type says money ran out rather than rate. {@code x-should-retry: true} makes an
 * otherwise unlisted status retryable.
 *
 * @param never statuses never retried
 * @param outOfMoney true for an error code or type that means quota, credit or spend is exhausted
 */
record ErrorAnswers(Set<Integer> never, Predicate<String> outOfMoney) {
    private static final Optional<StopReason> SHOULD_NOT_RETRY = Optional.of(StopReason.UPSTREAM_SHOULD_RETRY_FALSE);
    private static final Optional<StopReason> NOT_RETRYABLE = Optional.of(StopReason.STATUS_NOT_RETRYABLE);
    private static final Optional<StopReason> NO_QUOTA = Optional.of(StopReason.INSUFFICIENT_QUOTA);

    ErrorAnswers {
        never = Set.copyOf(never);
    }

    /** Why no retry can fix this error answer, or empty. */
    Optional<StopReason> neverRetry(ResponseHead head) {
        if ("false".equalsIgnoreCase(shouldRetry(head))) {
            return SHOULD_NOT_RETRY;
        }
        int status = head.status();
        if (never.contains(status)) {
            return NOT_RETRYABLE;
        }
        if (status == 429 && (isOutOfMoney(head.errorCode()) || isOutOfMoney(head.errorType()))) {
            return NO_QUOTA;
        }
        return Optional.empty();
    }

    /** True when the upstream said {@code x-should-retry: true}. */
    static boolean upstreamSaysRetry(ResponseHead head) {
        return "true".equalsIgnoreCase(shouldRetry(head));
    }

    private boolean isOutOfMoney(String codeOrType) {
        return codeOrType != null && outOfMoney.test(codeOrType);
    }

    private static String shouldRetry(ResponseHead head) {
        String value = head.header("x-should-retry");
        return value == null ? null : value.trim();
    }
}
