package dev.breakwater.resilience;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.Provider;
import java.util.List;
import java.util.Optional;

/**
 * What one kind of upstream API adds to Breakwater's decisions: which error answers no retry can fix, which
 * headers carry its wait hints and quota, which error-body fields matter, and what its rate limits are keyed by.
 * A new provider is a new implementation of this interface, picked in {@link #of}.
 *
 * <p>Implementations are stateless and shared by every event loop.
 */
public interface ProviderRules {
    /** Headers in which OpenAI, Azure OpenAI and Anthropic say how much of a key's quota is left. */
    List<String> REMAINING_QUOTA_HEADERS = List.of(
            "x-ratelimit-remaining-requests",
            "x-ratelimit-remaining-tokens",
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-tokens-remaining",
            "anthropic-ratelimit-input-tokens-remaining",
            "anthropic-ratelimit-output-tokens-remaining");

    /** The rules for a route's configured {@code provider}. */
    static ProviderRules of(Provider provider) {
        return switch (provider) {
            case GENERIC -> GenericRules.INSTANCE;
            case OPENAI -> OpenAiRules.INSTANCE;
            case AZURE_OPENAI -> AzureOpenAiRules.INSTANCE;
            case ANTHROPIC -> AnthropicRules.INSTANCE;
            case MCP -> McpRules.INSTANCE;
        };
    }

    /**
     * Why no retry can fix this error response (status 400 or above), or empty to leave the decision to the
     * route's {@code retry-on-status}.
     */
    Optional<StopReason> neverRetry(ResponseHead head);

    /** True when the upstream says this error response is worth retrying even if the route does not list it. */
    boolean upstreamSaysRetry(ResponseHead head);

    /** True when {@link #neverRetry} needs the error body's fields for a response with {@code status}. */
    boolean wantsErrorBody(int status);

    /** The error fields of an error body's first bytes (see {@link #wantsErrorBody}). */
    ErrorFields errorFields(byte[] bodyPrefix);

    /** The wait an error response asks for, read from the headers this provider sends. */
    Optional<ServerHint> hint(ServerHints hints, ResponseHead head);

    /** What an answer says about its rate-limit key's budget, for pacing; {@link BudgetReport#NONE} for nothing. */
    default BudgetReport budget(ServerHints hints, ResponseHead head) {
        return BudgetHeaders.openAi(hints, head);
    }

    /**
     * What this provider adds to the facts of a request sent to the upstream at {@code address}: MCP says whether
     * the JSON-RPC call may run twice (see {@link RequestFacts#call}). By default nothing.
     */
    default RequestFacts describe(RequestFacts facts, OutgoingRequest request, String address) {
        return facts;
    }

    /** The model the request names, for rate-limit keys, or null when the provider has none. */
    String model(OutgoingRequest request);

    /**
     * The circuit-breaker settings for an upstream of this provider, given the route's: a provider whose API has
     * its own failure statuses adds them to {@code record-status} (Anthropic's 529). Apply it wherever an
     * upstream's {@link RouteBreaker} is built.
     */
    default CircuitBreakerSpec breakerSpec(CircuitBreakerSpec route) {
        return route;
    }

    /** True when the upstream says a quota of the key is at zero. */
    default boolean quotaExhausted(ResponseHead head) {
        for (String name : REMAINING_QUOTA_HEADERS) {
            String remaining = head.header(name);
            if (remaining != null && remaining.trim().equals("0")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The identifying fields of an error body, as the provider reads them.
     *
     * @param type {@code error.type}, or null
     * @param code {@code error.code} (OpenAI), {@code error.details.error_code} (Anthropic, or
     *     {@link AnthropicRules#SPEND_LIMIT_IN_MESSAGE} when only the message names a spend limit), or null
     */
    record ErrorFields(String type, String code) {
        /** No fields known. */
        public static final ErrorFields NONE = new ErrorFields(null, null);
    }
}
