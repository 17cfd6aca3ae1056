package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.openai.azure.AzureOpenAIServiceVersion;
import com.openai.azure.AzureUrlPathMode;
import com.openai.azure.credential.AzureApiKeyCredential;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.TestProxy;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The OpenAI Java SDK configured for Azure OpenAI (deployment in the path, {@code api-version} query, {@code api-key}
 * header), default retries on, through a {@code provider: azure-openai} route: retries, and 429s held per
 * deployment.
 */
class AzureOpenAiClientsIT {
    private static final String API_KEY = "azure-test-key";
    private static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello from Azure","refusal":null},
                         "finish_reason":"stop","logprobs":null}],
             "usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4}}""";
    private static final String RATE_LIMITED = "{\"error\":{\"code\":\"429\",\"message\":\"Requests to the"
            + " ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate"
            + " limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds.\"}}";

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(32))
            .build();

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        proxy = TestProxy.start("""
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0, max-retry-after: 5s}
                routes:
                  - name: azure
                    path-prefix: /openai/
                    upstream: http://127.0.0.1:%d
                    provider: azure-openai
                    retry: {retry-methods: [GET, POST]}
                """.formatted(upstream.getPort()));
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static OpenAIClient sdk(String apiKey) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(proxy.uri("").toString())
                .credential(AzureApiKeyCredential.create(apiKey))
                .azureServiceVersion(AzureOpenAIServiceVersion.latestStableVersion())
                // the base URL is Breakwater's, not *.openai.azure.com: say it is Azure's deployment-path layout
                .azureUrlPathMode(AzureUrlPathMode.LEGACY)
                .build();
    }

    private static ChatCompletion chat(OpenAIClient sdk, String deployment) {
        return sdk.chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model(deployment)
                        .addUserMessage("Say hello")
                        .build());
    }

    private static String path(String deployment) {
        return "/openai/deployments/" + deployment + "/chat/completions";
    }

    private static ResponseDefinitionBuilder ok() {
        return aResponse()
                .withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(COMPLETION);
    }

    private static void firstThenOk(String deployment, ResponseDefinitionBuilder first) {
        upstream.stubFor(post(urlPathEqualTo(path(deployment)))
                .inScenario(deployment)
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(first)
                .willSetStateTo("ok"));
        upstream.stubFor(post(urlPathEqualTo(path(deployment)))
                .inScenario(deployment)
                .whenScenarioStateIs("ok")
                .willReturn(ok()));
    }

    /** The upstream's requests to {@code deployment}, oldest first. */
    private static List<ServeEvent> calls(String deployment) {
        List<ServeEvent> events = new ArrayList<>(upstream.getAllServeEvents());
        events.removeIf(e -> !e.getRequest().getUrl().startsWith(path(deployment)));
        events.sort(Comparator.comparing(e -> e.getRequest().getLoggedDate()));
        return events;
    }

    private static long arrivalMillis(ServeEvent event) {
        return event.getRequest().getLoggedDate().getTime();
    }

    private static String text(ChatCompletion completion) {
        return completion.choices().get(0).message().content().orElseThrow();
    }

    @Test
    void theAzureSdkCompletesAChatThroughAFailingDeployment() {
        firstThenOk(
                "flaky",
                aResponse()
                        .withStatus(503)
                        .withHeader("content-type", "application/json")
                        .withBody("{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"busy\"}}"));

        assertThat(text(chat(sdk(API_KEY), "flaky"))).isEqualTo("Hello from Azure");

        upstream.verify(
                2,
                postRequestedFor(urlPathEqualTo(path("flaky")))
                        .withHeader("api-key", equalTo(API_KEY))
                        .withQueryParam("api-version", equalTo("2024-10-21")));
    }

    @Test
    void a429ForOneDeploymentHoldsTheNextRequestForItButNotForAnotherDeployment() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(path("warm-up"))).willReturn(ok()));
        chat(sdk(API_KEY), "warm-up");
        firstThenOk(
                "deployment-a",
                aResponse()
                        .withStatus(429)
                        .withHeader("content-type", "application/json")
                        .withHeader("retry-after", "2")
                        .withHeader("retry-after-ms", "2000")
                        .withHeader("x-ratelimit-remaining-tokens", "0")
                        .withBody(RATE_LIMITED));
        upstream.stubFor(post(urlPathEqualTo(path("deployment-b"))).willReturn(ok()));
        OpenAIClient sdk = sdk(API_KEY);

        CompletableFuture<ChatCompletion> first = CompletableFuture.supplyAsync(() -> chat(sdk, "deployment-a"));
        await().atMost(Duration.ofSeconds(5)).until(() -> calls("deployment-a").size() == 1);
        long limitedAt = arrivalMillis(calls("deployment-a").get(0));
        ChatCompletion other = chat(sdk, "deployment-b");
        // Same key, same body model as deployment A, but deployment B's path: B's quota, not held.
        HttpResponse<String> otherByPath = Http.post(
                proxy.uri(path("deployment-b") + "?api-version=2024-10-21"),
                "{\"model\":\"deployment-a\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "content-type",
                "application/json",
                "api-key",
                API_KEY);
        ChatCompletion second = chat(sdk, "deployment-a");

        assertThat(text(first.get(10, TimeUnit.SECONDS))).isEqualTo("Hello from Azure");
        assertThat(text(second)).isEqualTo("Hello from Azure");
        assertThat(text(other)).isEqualTo("Hello from Azure");
        assertThat(otherByPath.statusCode()).isEqualTo(200);
        assertThat(calls("deployment-b"))
                .hasSize(2)
                .allSatisfy(call -> assertThat(arrivalMillis(call) - limitedAt).isLessThan(1_500));
        List<ServeEvent> held = calls("deployment-a");
        assertThat(held).hasSize(3);
        assertThat(held.subList(1, 3))
                .allSatisfy(call -> assertThat(arrivalMillis(call) - limitedAt).isGreaterThanOrEqualTo(1_990));
    }

    @Test
    void neverLogsTheApiKeyEvenWhileRetrying() {
        firstThenOk("logged", aResponse().withStatus(500));
        List<String> lines;
        try (LogCapture logs = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            chat(sdk("azure-key-never-logged"), "logged");
            lines = logs.lines();
        }

        assertThat(lines).anySatisfy(line -> assertThat(line).contains("result=500"));
        assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain("never-logged"));
    }
}
