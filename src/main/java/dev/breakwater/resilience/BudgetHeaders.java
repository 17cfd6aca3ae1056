package dev.breakwater.resilience;

import java.util.OptionalLong;

/**
 * Reads a {@link BudgetReport} from the rate-limit headers of an answer: OpenAI's and Azure's
 * {@code x-ratelimit-{limit,remaining,reset}-{requests,tokens}} (resets as Go durations such as {@code 1.2s}; as
 * compatible servers also write them: bare seconds, epoch seconds, or RFC 3339 times), and
 * Anthropic's {@code anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}} (resets as RFC 3339 times;
 * without a combined {@code tokens} quota, the input-tokens one).
 */
final class BudgetHeaders {
    private BudgetHeaders() {}

    /** The OpenAI-style headers, or {@link BudgetReport#NONE} when there are none. */
    static BudgetReport openAi(ServerHints hints, ResponseHead head) {
        if (head.header("x-ratelimit-limit-requests") == null && head.header("x-ratelimit-limit-tokens") == null) {
            return BudgetReport.NONE;
        }
        return new BudgetReport(
                count(head.header("x-ratelimit-limit-requests")),
                count(head.header("x-ratelimit-remaining-requests")),
                reset(hints, head.header("x-ratelimit-reset-requests")),
                count(head.header("x-ratelimit-limit-tokens")),
                count(head.header("x-ratelimit-remaining-tokens")),
                reset(hints, head.header("x-ratelimit-reset-tokens")));
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

    /** A header's whole number, or -1 when it is missing or not one. */
    static long count(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Epoch seconds from here on (2001 and later); smaller bare numbers are a wait in seconds. */
    private static final double EPOCH_SECONDS = 1e9;

    /**
     * A reset in ms from now, at least 1: a Go duration ({@code 1.2s}, OpenAI's), a bare number of seconds
     * ({@code 2}, {@code 0.5}), epoch seconds, or an RFC 3339 time; -1 when missing or unreadable.
     */
    static long reset(ServerHints hints, String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        String v = value.trim();
        OptionalLong millis = GoDuration.toMillis(v);
        if (millis.isPresent()) {
            return Math.max(1, millis.getAsLong());
        }
        double number;
        try {
            number = Double.parseDouble(v);
        } catch (NumberFormatException notANumber) {
            OptionalLong until = hints.untilTimestamp(v);
            return until.isPresent() ? Math.max(1, until.getAsLong()) : -1;
        }
        if (!(number >= 0) || Double.isInfinite(number)) {
            return -1;
        }
        if (number >= EPOCH_SECONDS) {
            OptionalLong until = hints.untilEpochMillis((long) Math.ceil(number * 1000));
            return until.isPresent() ? Math.max(1, until.getAsLong()) : -1;
        }
        return Math.max(1, (long) Math.ceil(number * 1000));
    }

    private static long until(ServerHints hints, String value) {
        OptionalLong millis = hints.untilTimestamp(value);
        return millis.isPresent() ? millis.getAsLong() : -1;
    }
}
