package dev.breakwater.resilience;

import java.util.Optional;

/**
 * Azure OpenAI: the same error bodies and headers as OpenAI (see {@link OpenAiRules}, which every decision is
 * delegated to), the credential in {@code api-key} (or an Entra ID {@code Authorization}), and rate limits per
 * deployment. The deployment is the model of a rate-limit key: {@code NAME} of a path
 * {@code .../openai/deployments/NAME/...}; on the v1 API ({@code /openai/v1/...}) and any other path, the
 * body's {@code model}, as for OpenAI.
 */
final class AzureOpenAiRules implements ProviderRules {
    static final AzureOpenAiRules INSTANCE = new AzureOpenAiRules();

    private static final String DEPLOYMENTS = "/openai/deployments/";

    private final OpenAiRules openAi = OpenAiRules.INSTANCE;

    private AzureOpenAiRules() {}

    @Override
    public Optional<StopReason> neverRetry(ResponseHead head) {
        return openAi.neverRetry(head);
    }

    @Override
    public boolean upstreamSaysRetry(ResponseHead head) {
        return openAi.upstreamSaysRetry(head);
    }

    @Override
    public boolean wantsErrorBody(int status) {
        return openAi.wantsErrorBody(status);
    }

    @Override
    public ErrorFields errorFields(byte[] bodyPrefix) {
        return openAi.errorFields(bodyPrefix);
    }

    @Override
    public Optional<ServerHint> hint(ServerHints hints, ResponseHead head) {
        return openAi.hint(hints, head);
    }

    @Override
    public boolean quotaExhausted(ResponseHead head) {
        return openAi.quotaExhausted(head);
    }

    /** The deployment named by the upstream path, else the body's {@code model}. */
    @Override
    public String model(OutgoingRequest request) {
        String deployment = deployment(request.path());
        return deployment != null ? deployment : openAi.model(request);
    }

    /** {@code NAME} of a path containing {@code /openai/deployments/NAME} (still percent-encoded), or null. */
    static String deployment(String path) {
        if (path == null) {
            return null;
        }
        int at = path.indexOf(DEPLOYMENTS);
        if (at < 0) {
            return null;
        }
        int start = at + DEPLOYMENTS.length();
        int end = path.indexOf('/', start);
        String name = end < 0 ? path.substring(start) : path.substring(start, end);
        int query = name.indexOf('?');
        if (query >= 0) {
            name = name.substring(0, query);
        }
        return name.isEmpty() ? null : name;
    }
}
