package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Provider;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Azure OpenAI: OpenAI's decisions unchanged, and rate limits keyed by deployment. */
class AzureOpenAiRulesTest {
    private static final ProviderRules AZURE = ProviderRules.of(Provider.AZURE_OPENAI);
    private static final ProviderRules OPENAI = ProviderRules.of(Provider.OPENAI);
    private static final ServerHints HINTS =
            new ServerHints(Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));

    private static OutgoingRequest request(String path, Map<String, String> headers, String body) {
        return new OutgoingRequest() {
            @Override
            public String header(String name) {
                return headers.get(name);
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public java.io.InputStream bodyStream() {
                return body == null ? null : new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
            }
        };
    }

    @ParameterizedTest
    @CsvSource({
        "/openai/deployments/gpt-4o-prod/chat/completions, gpt-4o-prod",
        "/openai/deployments/emb.v3/embeddings, emb.v3",
        "/eu/openai/deployments/my%20dep/chat/completions, my%20dep",
        "/openai/deployments/bare, bare"
    })
    void theDeploymentInThePathIsTheModel(String path, String deployment) {
        assertThat(AZURE.model(request(path, Map.of(), "{\"model\":\"ignored\"}")))
                .isEqualTo(deployment);
    }

    @Test
    void theV1ApiUsesTheBodysModel() {
        assertThat(AZURE.model(request("/openai/v1/chat/completions", Map.of(), "{\"model\":\"gpt-4.1\"}")))
                .isEqualTo("gpt-4.1");
        assertThat(AZURE.model(request("/openai/v1/responses", Map.of(), null))).isNull();
    }

    @Test
    void anEmptyDeploymentOrAnUnknownPathFallsBackToTheBody() {
        assertThat(AZURE.model(request("/openai/deployments//chat", Map.of(), "{\"model\":\"m\"}")))
                .isEqualTo("m");
        assertThat(AZURE.model(request(null, Map.of(), "{\"model\":\"m\"}"))).isEqualTo("m");
    }

    @Test
    void twoDeploymentsOfOneKeyNeverShareAGateKey() {
        Map<String, String> key = Map.of("api-key", "azure-secret");
        String a =
                RateLimitKeys.of(AZURE, "res.openai.azure.com:443", request("/openai/deployments/a/chat", key, "{}"));
        String b =
                RateLimitKeys.of(AZURE, "res.openai.azure.com:443", request("/openai/deployments/b/chat", key, "{}"));

        assertThat(a)
                .isEqualTo(GateKeys.of("res.openai.azure.com:443", "azure-secret", "a"))
                .isNotEqualTo(b)
                .doesNotContain("azure-secret");
        assertThat(RateLimitKeys.of(
                        AZURE,
                        "res.openai.azure.com:443",
                        request("/openai/deployments/a/chat", Map.of("api-key", "other-key"), "{}")))
                .isNotEqualTo(a);
    }

    @Test
    void decidesEveryErrorAsOpenAiDoes() {
        List<TestHead> heads = List.of(
                TestHead.of(400),
                TestHead.of(401),
                TestHead.of(403),
                TestHead.of(404),
                TestHead.of(422),
                TestHead.of(408),
                TestHead.of(500),
                TestHead.of(529),
                TestHead.of(503, "x-should-retry", "false"),
                TestHead.of(409, "x-should-retry", "true"),
                TestHead.of(429).error("insufficient_quota", "insufficient_quota"),
                TestHead.of(429).error(null, "429"),
                TestHead.of(429, "retry-after-ms", "1500"),
                TestHead.of(429, "retry-after", "3"),
                TestHead.of(429, "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6m0s"),
                TestHead.of(429, "x-ratelimit-remaining-requests", "4", "x-ratelimit-reset-requests", "1s"));
        for (TestHead head : heads) {
            assertThat(AZURE.neverRetry(head))
                    .as("neverRetry %s", head.status())
                    .isEqualTo(OPENAI.neverRetry(head));
            assertThat(AZURE.upstreamSaysRetry(head)).isEqualTo(OPENAI.upstreamSaysRetry(head));
            assertThat(AZURE.hint(HINTS, head)).isEqualTo(OPENAI.hint(HINTS, head));
            assertThat(AZURE.quotaExhausted(head)).isEqualTo(OPENAI.quotaExhausted(head));
        }
        assertThat(AZURE.wantsErrorBody(429)).isTrue();
        assertThat(AZURE.wantsErrorBody(500)).isFalse();
        String text = "{\"error\":{\"code\":\"429\",\"message\":\"Requests to the ChatCompletions_Create Operation"
                + " have exceeded token rate limit\"}}";
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        assertThat(AZURE.errorFields(body)).isEqualTo(OPENAI.errorFields(body));
    }
}
