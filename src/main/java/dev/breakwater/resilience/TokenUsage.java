package dev.breakwater.resilience;

/**
 * The tokens a model reported it used for one response, read from the response's {@code usage} object.
 *
 * @param inputTokens the prompt's tokens ({@code input_tokens} or {@code prompt_tokens}), or -1 when not reported
 * @param outputTokens the answer's tokens ({@code output_tokens} or {@code completion_tokens}), or -1 when not
 *     reported
 */
public record TokenUsage(long inputTokens, long outputTokens) {
    /** True when the response reported its input tokens. */
    public boolean hasInput() {
        return inputTokens >= 0;
    }

    /** True when the response reported its output tokens. */
    public boolean hasOutput() {
        return outputTokens >= 0;
    }
}
