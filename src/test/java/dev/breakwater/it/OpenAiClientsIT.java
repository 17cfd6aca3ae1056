package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Real OpenAI clients pointed at Breakwater, with an upstream that fails first. */
class OpenAiClientsIT {
    private static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello from upstream","refusal":null},
                         "finish_reason":"stop","logprobs":null}],
             "usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4}}""";
    private static final String CHUNK = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,%s}]}";
    private static final String STREAM = "data: "
            + CHUNK.formatted("\"delta\":{\"role\":\"assistant\"," + "\"content\":\"Hel\"},\"finish_reason\":null")
            + "\n\n"
            + "data: " + CHUNK.formatted("\"delta\":{\"content\":\"lo\"},\"finish_reason\":null") + "\n\n"
            + "data: " + CHUNK.formatted("\"delta\":{},\"finish_reason\":\"stop\"") + "\n\n"
            + "data: [DONE]\n\n";

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1"))
            .build();

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        proxy = TestProxy.start(Routes.openAi(upstream.getPort(), ""));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
    }

    private static void failFirstThen(String contentType, String body) {
        upstream.stubFor(post("/v1/chat/completions")
                .inScenario("flaky")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse()
                        .withStatus(503)
                        .withHeader("content-type", "application/json")
                        .withBody("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}"))
                .willSetStateTo("healthy"));
        upstream.stubFor(post("/v1/chat/completions")
                .inScenario("flaky")
                .whenScenarioStateIs("healthy")
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("content-type", contentType)
                        .withBody(body)));
    }

    private static OpenAIClient sdk() {
        return OpenAIOkHttpClient.builder()
                .baseUrl(proxy.uri("/v1").toString())
                .apiKey("sk-test")
                .maxRetries(0)
                .build();
    }

    private static ChatCompletionCreateParams params() {
        return ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini")
                .addUserMessage("Say hello")
                .build();
    }

    @Test
    void openAiJavaSdkCompletesAChatThroughAFailingUpstream() {
        failFirstThen("application/json", COMPLETION);

        ChatCompletion completion = sdk().chat().completions().create(params());

        assertThat(completion.choices().get(0).message().content()).hasValue("Hello from upstream");
        upstream.verify(
                2,
                postRequestedFor(urlEqualTo("/v1/chat/completions"))
                        .withHeader("Authorization", equalTo("Bearer sk-test")));
    }

    @Test
    void openAiJavaSdkStreamsAChatThroughAFailingUpstream() {
        failFirstThen("text/event-stream", STREAM);

        String text;
        try (StreamResponse<ChatCompletionChunk> stream =
                sdk().chat().completions().createStreaming(params())) {
            text = stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse(""))
                    .collect(Collectors.joining());
        }

        assertThat(text).isEqualTo("Hello");
        upstream.verify(2, postRequestedFor(urlEqualTo("/v1/chat/completions")));
    }

    @Test
    void langchain4jOnTheJdkHttpClientWorksThroughTheProxy() {
        failFirstThen("application/json", COMPLETION);
        OpenAiChatModel model = OpenAiChatModel.builder()
                .baseUrl(proxy.uri("/v1").toString())
                .apiKey("sk-test")
                .modelName("gpt-4o-mini")
                .maxRetries(0)
                .build();

        String answer = model.chat("Say hello");

        assertThat(answer).isEqualTo("Hello from upstream");
        upstream.verify(2, postRequestedFor(urlEqualTo("/v1/chat/completions")));
    }
}
