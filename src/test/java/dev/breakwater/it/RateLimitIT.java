package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** 429 handling against a scripted upstream: server hints, caps, OpenAI classification, the rate-limit gate. */
class RateLimitIT {
    private static final String PATH = "/v1/chat/completions";
    private static final String OK = "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\",\"refusal\":null},"
            + "\"finish_reason\":\"stop\",\"logprobs\":null}]}";

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(64))
            .build();

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        proxy = TestProxy.start(Routes.openAi(upstream.getPort(), "max-retry-after: 5s"));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
    }

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static ResponseDefinitionBuilder ok() {
        return aResponse()
                .withStatus(200)
                .withHeader("content-type", "application/json")
                .withBody(OK);
    }

    /** The first call for {@code model} answers {@code first}, every later one 200. */
    private static void firstThenOk(String model, ResponseDefinitionBuilder first) {
        upstream.stubFor(post(PATH)
                .withRequestBody(matchingJsonPath("$.model", equalTo(model)))
                .inScenario(model)
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(first)
                .willSetStateTo("ok"));
        upstream.stubFor(post(PATH)
                .withRequestBody(matchingJsonPath("$.model", equalTo(model)))
                .inScenario(model)
                .whenScenarioStateIs("ok")
                .willReturn(ok()));
    }

    private static HttpResponse<String> chat(String model) throws Exception {
        return Http.post(proxy.uri(PATH), body(model), "content-type", "application/json");
    }

    /** Milliseconds between the upstream's first and second received request for {@code model}. */
    private static long gapBetweenAttempts(String model) {
        List<ServeEvent> events = new ArrayList<>(upstream.getAllServeEvents());
        events.removeIf(e -> !e.getRequest().getBodyAsString().contains("\"" + model + "\""));
        events.sort(Comparator.comparing(e -> e.getRequest().getLoggedDate()));
        assertThat(events).hasSize(2);
        return events.get(1).getRequest().getLoggedDate().getTime()
                - events.get(0).getRequest().getLoggedDate().getTime();
    }

    @Test
    void waitsForRetryAfterSecondsBeforeRetrying() throws Exception {
        firstThenOk("ra-seconds", aResponse().withStatus(429).withHeader("Retry-After", "1"));

        HttpResponse<String> response = chat("ra-seconds");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(gapBetweenAttempts("ra-seconds")).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void waitsForARetryAfterHttpDate() throws Exception {
        String date =
                DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().plusSeconds(2));
        firstThenOk("ra-date", aResponse().withStatus(429).withHeader("Retry-After", date));

        HttpResponse<String> response = chat("ra-date");

        assertThat(response.statusCode()).isEqualTo(200);
        // The date has whole-second precision: the wait is between 1 and 2 seconds.
        assertThat(gapBetweenAttempts("ra-date")).isBetween(900L, 3_000L);
    }

    @Test
    void waitsForRetryAfterMs() throws Exception {
        firstThenOk("ra-ms", aResponse().withStatus(429).withHeader("retry-after-ms", "400"));

        HttpResponse<String> response = chat("ra-ms");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(gapBetweenAttempts("ra-ms")).isBetween(400L, 2_000L);
    }

    @Test
    void waitsForTheOpenAiRateLimitResetWhenRequestsAreExhausted() throws Exception {
        firstThenOk(
                "reset",
                aResponse()
                        .withStatus(429)
                        .withHeader("x-ratelimit-remaining-requests", "0")
                        .withHeader("x-ratelimit-reset-requests", "1.2s")
                        .withHeader("x-ratelimit-remaining-tokens", "5000")
                        .withHeader("x-ratelimit-reset-tokens", "30s"));

        HttpResponse<String> response = chat("reset");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(gapBetweenAttempts("reset")).isBetween(1_200L, 3_000L);
    }

    @Test
    void returnsA429AtOnceWhenItsHintExceedsTheCap() throws Exception {
        upstream.stubFor(
                post(PATH)
                        .willReturn(
                                aResponse()
                                        .withStatus(429)
                                        .withHeader("Retry-After", "30")
                                        .withHeader("content-type", "application/json")
                                        .withBody(
                                                "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")));

        long start = System.nanoTime();
        HttpResponse<String> response = chat("capped");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(millis).isLessThan(500);
        assertThat(response.headers().firstValue("retry-after")).hasValue("30");
        assertThat(response.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(response.body()).contains("rate_limit_exceeded");
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void neverRetriesInsufficientQuota() throws Exception {
        String quota = "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\","
                + "\"param\":null,\"code\":\"insufficient_quota\"}}";
        upstream.stubFor(post(PATH)
                .willReturn(aResponse()
                        .withStatus(429)
                        .withHeader("content-type", "application/json")
                        .withBody(quota)));

        HttpResponse<String> response = chat("quota");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.body()).isEqualTo(quota);
        assertThat(response.headers().firstValue("x-should-retry")).hasValue("false");
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void obeysAnUpstreamXShouldRetryFalse() throws Exception {
        upstream.stubFor(post(PATH).willReturn(aResponse().withStatus(503).withHeader("x-should-retry", "false")));

        HttpResponse<String> response = chat("told");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        upstream.verify(1, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void theOpenAiSdkWithDefaultRetriesMakesExactlyMaxAttemptsUpstreamCalls() {
        upstream.stubFor(post(PATH)
                .willReturn(aResponse()
                        .withStatus(503)
                        .withHeader("content-type", "application/json")
                        .withBody("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}")));
        OpenAIClient sdk = OpenAIOkHttpClient.builder()
                .baseUrl(proxy.uri("/v1").toString())
                .apiKey("sk-test")
                .build();

        try {
            sdk.chat()
                    .completions()
                    .create(ChatCompletionCreateParams.builder()
                            .model("sdk-default")
                            .addUserMessage("hi")
                            .build());
        } catch (InternalServerException expected) {
            assertThat(expected.statusCode()).isEqualTo(503);
        }

        upstream.verify(4, postRequestedFor(urlEqualTo(PATH)));
    }

    @Test
    void holdsAHerdForOneModelUntilTheRetryAfterPassesWithoutHoldingOtherModels() throws Exception {
        firstThenOk("herd", aResponse().withStatus(429).withHeader("Retry-After", "1"));
        upstream.stubFor(post(PATH)
                .withRequestBody(matchingJsonPath("$.model", equalTo("bystander")))
                .willReturn(ok()));

        long start = System.currentTimeMillis();
        CompletableFuture<HttpResponse<String>> first = send("herd");
        awaitUpstreamCalls(1);
        List<CompletableFuture<HttpResponse<String>>> herd = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            herd.add(send("herd"));
        }
        long bystanderStart = System.nanoTime();
        HttpResponse<String> bystander = chat("bystander");
        long bystanderMillis = (System.nanoTime() - bystanderStart) / 1_000_000;

        assertThat(bystander.statusCode()).isEqualTo(200);
        assertThat(bystanderMillis).isLessThan(700);
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        for (CompletableFuture<HttpResponse<String>> request : herd) {
            assertThat(request.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        List<Long> herdCalls = upstream.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getBodyAsString().contains("\"herd\""))
                .map(e -> e.getRequest().getLoggedDate().getTime() - start)
                .sorted()
                .toList();
        assertThat(herdCalls).hasSize(22);
        // Only the 429 itself inside the closed second; every other call after it.
        assertThat(herdCalls.subList(1, herdCalls.size()))
                .allSatisfy(t -> assertThat(t).isGreaterThanOrEqualTo(990));
    }

    @Test
    void a429ForOneApiKeyDoesNotHoldTheSameModelForAnotherKey() throws Exception {
        // Key A's project is rate limited for 3 s; key B is another project with its own limits.
        upstream.stubFor(post(PATH)
                .withHeader("authorization", equalTo("Bearer sk-project-a"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("shared-model")))
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "3")));
        upstream.stubFor(post(PATH)
                .withHeader("authorization", equalTo("Bearer sk-project-b"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("shared-model")))
                .willReturn(ok()));

        CompletableFuture<HttpResponse<String>> keyA = Http.client()
                .sendAsync(
                        HttpRequest.newBuilder(proxy.uri(PATH))
                                .timeout(Duration.ofSeconds(30))
                                .header("content-type", "application/json")
                                .header("authorization", "Bearer sk-project-a")
                                .POST(HttpRequest.BodyPublishers.ofString(body("shared-model")))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        awaitUpstreamCalls(1);

        long start = System.nanoTime();
        HttpResponse<String> keyB = Http.post(
                proxy.uri(PATH),
                body("shared-model"),
                "content-type",
                "application/json",
                "authorization",
                "Bearer sk-project-b");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(keyB.statusCode()).isEqualTo(200);
        assertThat(millis).as("key B was not held behind key A's closed gate").isLessThan(1_000);
        keyA.cancel(true);
    }

    private static CompletableFuture<HttpResponse<String>> send(String model) {
        return Http.client()
                .sendAsync(
                        HttpRequest.newBuilder(proxy.uri(PATH))
                                .timeout(Duration.ofSeconds(30))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body(model)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitUpstreamCalls(int count) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> upstream.getAllServeEvents().size() >= count);
    }
}
