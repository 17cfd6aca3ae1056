package dev.breakwater.config;

/**
 * What kind of API a route fronts. Every value but {@link #GENERIC} turns on that API's failure classification,
 * rate-limit headers and rate-limit keys (see {@code resilience.ProviderRules}).
 */
public enum Provider {
    /** Any HTTP backend: decisions use status codes and transport failures only. */
    GENERIC,
    /** The OpenAI API (or a compatible one): also reads OpenAI's error codes and rate-limit headers. */
    OPENAI,
    /**
     * Azure OpenAI: OpenAI's errors and headers, the credential in {@code api-key}, and rate limits per deployment
     * (the path's {@code /openai/deployments/NAME/}) or, on the v1 API, per body {@code model}.
     */
    AZURE_OPENAI,
    /**
     * Anthropic's Messages API: 529 {@code overloaded_error}, {@code anthropic-ratelimit-*} headers, spend limits,
     * and Breakwater's own errors in Anthropic's error shape.
     */
    ANTHROPIC,
    /**
     * An MCP server over the Streamable HTTP transport: JSON-RPC calls retried by method, {@code tools/call} only for
     * tools the server announced read-only or idempotent, and Breakwater's own errors as JSON-RPC error objects.
     */
    MCP;

    /** The spelling used in YAML: lower case, words joined by {@code -} ({@code azure-openai}). */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
