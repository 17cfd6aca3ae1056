package dev.breakwater.resilience;

import java.util.OptionalLong;

/**
 * Reads a {@link BudgetReport} from the rate-limit headers of an answer: OpenAI's and Azure's
 * {@code x-ratelimit-{limit,remaining,reset}-{requests,tokens}} (resets as Go durations such as {@code 1.2s}), and
 * Anthropic's {@code anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}} (resets as RFC 3339 times;
 * without a combined {@code tokens} quota, the input-tokens one).
 */
final class BudgetHeaders {
    private BudgetHeaders() {}

    /** The OpenAI-style headers, or {@link BudgetReport#NONE} when there are none. */
    static BudgetReport openAi(ResponseHead head) {
        if (head.header("x-ratelimit-limit-requests") == null && head.header("x-ratelimit-limit-tokens") == null) {
            return BudgetReport.NONE;
        }
        return new BudgetReport(
                count(head.header("x-ratelimit-limit-requests")),
                count(head.header("x-ratelimit-remaining-requests")),
                duration(head.header("x-ratelimit-reset-requests")),
                count(head.header("x-ratelimit-limit-tokens")),
                count(head.header("x-ratelimit-remaining-tokens")),
                duration(head.header("x-ratelimit-reset-tokens")));
    }

    /** Anthropic's headers, or {@link BudgetReport#NONE} when there are none. */
    static BudgetReport anthropic(ServerHints hints, ResponseHead head) {
        if (head.header("anthropic-ratelimit-requests-limit") == null
                && head.header("anthropic-ratelimit-tokens-limit") == null
                && head.header("anthropic-ratelimit-input-tokens-limit") == null) {
            return BudgetReport.NONE;
        }
        String tokens = head.header("anthropic-ratelimit-tokens-limit") != null ? "tokens" : "input-tokens";
        return new BudgetReport(
                count(head.header("anthropic-ratelimit-requests-limit")),
                count(head.header("anthropic-ratelimit-requests-remaining")),
                until(hints, head.header("anthropic-ratelimit-requests-reset")),
                count(head.header("anthropic-ratelimit-" + tokens + "-limit")),
                count(head.header("anthropic-ratelimit-" + tokens + "-remaining")),
                until(hints, head.header("anthropic-ratelimit-" + tokens + "-reset")));
    }

    private static long count(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A reset duration in ms, rounded up to at least 1 ms; -1 when missing or unreadable. */
    private static long duration(String value) {
        if (value == null) {
            return -1;
        }
        OptionalLong millis = GoDuration.toMillis(value.trim());
        return millis.isPresent() ? Math.max(1, millis.getAsLong()) : -1;
    }

    private static long until(ServerHints hints, String value) {
        OptionalLong millis = hints.untilTimestamp(value);
        return millis.isPresent() ? millis.getAsLong() : -1;
    }
}
