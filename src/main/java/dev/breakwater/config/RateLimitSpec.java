package dev.breakwater.config;

import java.util.Optional;

/**
 * A route's {@code rate-limit} section: pacing by the budget the upstream reports, and the queue of requests
 * held for it.
 *
 * @param pacing true holds attempts that would not fit the budget the upstream last reported; empty: on for
 *     providers that report one ({@code openai}, {@code azure-openai}, {@code anthropic}), off otherwise
 * @param headroomPercent the share of each reported limit left unused, for clock and counting error (default 5)
 * @param defaultCompletionTokens the completion tokens a request is assumed to use when its body names no
 *     {@code max_tokens}, {@code max_completion_tokens} or {@code max_output_tokens} (default 1024)
 * @param maxQueued requests that may wait per rate-limit key; one more is answered 429 at once (default 1000)
 * @param priority the queue priority of requests without an {@code x-breakwater-priority} header
 */
public record RateLimitSpec(
        Optional<Boolean> pacing,
        double headroomPercent,
        int defaultCompletionTokens,
        int maxQueued,
        Priority priority) {
    /** The built-in defaults. */
    public static final RateLimitSpec DEFAULT = new RateLimitSpec(Optional.empty(), 5, 1024, 1000, Priority.NORMAL);

    /** Whether pacing is on for a route of {@code provider}. */
    public boolean pacingFor(Provider provider) {
        return pacing.orElse(provider != Provider.GENERIC && provider != Provider.MCP);
    }
}
