package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.ServiceUnavailableException;
import com.anthropic.errors.SseException;
import com.anthropic.models.ErrorType;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.ScriptedUpstream;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
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

/**
 * The official Anthropic Java SDK, with its default retries on, through Breakwater's {@code provider: anthropic}
 * routes to scripted upstreams: 529s and 429s handled, client errors sent once, and Breakwater's own errors
 * raised by the SDK like Anthropic's.
 */
class AnthropicClientsIT {
    private static final String PATH = "/v1/messages";
    private static final String API_KEY = "sk-ant-test-key";

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(32))
            .build();

    /** Starts a stream, sends three events, then closes without ending the chunked body. */
    private static final ScriptedUpstream broken = ScriptedUpstream.always(ScriptedUpstream.partialBodyThenClose(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
            chunk("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
                    + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],"
                    + "\"stop_reason\":null,\"stop_sequence\":null,"
                    + "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
                    + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                    + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                    + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n")));

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        proxy = TestProxy.start("""
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0, max-retry-after: 5s}
                routes:
                  - name: anthropic
                    path-prefix: /v1/
                    upstream: http://127.0.0.1:%1$d
                    provider: anthropic
                    retry: {retry-methods: [GET, POST]}
                    circuit-breaker: {wait-duration-in-open-state: 1s}
                  - name: overloaded
                    path-prefix: /overloaded/
                    strip-prefix: true
                    upstream: http://127.0.0.1:%1$d
                    provider: anthropic
                    retry: {max-attempts: 1}
                    circuit-breaker: {sliding-window-size: 4, minimum-number-of-calls: 4}
                  - name: broken
                    path-prefix: /broken/
                    strip-prefix: true
                    upstream: %2$s
                    provider: anthropic
                """.formatted(upstream.getPort(), broken.url()));
    }

    @AfterAll
    static void stop() {
        proxy.close();
        broken.close();
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.getBytes(java.nio.charset.StandardCharsets.UTF_8).length) + "\r\n" + data
                + "\r\n";
    }

    private static AnthropicClient sdk(String basePath, String apiKey) {
        return AnthropicOkHttpClient.builder()
                .baseUrl(proxy.uri(basePath).toString())
                .apiKey(apiKey)
                .build();
    }

    private static AnthropicClient sdk() {
        return sdk("", API_KEY);
    }

    private static MessageCreateParams params(String model) {
        return MessageCreateParams.builder()
                .model(model)
                .maxTokens(64)
                .addUserMessage("Say hello")
                .build();
    }

    private static String message(String model) {
        return """
                {"id":"msg_01","type":"message","role":"assistant","model":"%s",
                 "content":[{"type":"text","text":"Hello from upstream"}],
                 "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}}""".formatted(model);
    }

    private static String error(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message
                + "\"},\"request_id\":\"req_011\"}";
    }

    private static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse()
                .withStatus(status)
                .withHeader("content-type", "application/json")
                .withBody(body);
    }

    /** Requests for {@code model} get {@code first}, then 200 with a message. */
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
                .willReturn(json(200, message(model))));
    }

    private static void always(String model, ResponseDefinitionBuilder response) {
        upstream.stubFor(post(PATH)
                .withRequestBody(matchingJsonPath("$.model", equalTo(model)))
                .willReturn(response));
    }

    /** The upstream's requests for {@code model}, oldest first. */
    private static List<ServeEvent> calls(String model) {
        List<ServeEvent> events = new ArrayList<>(upstream.getAllServeEvents());
        events.removeIf(e -> !e.getRequest().getBodyAsString().contains("\"" + model + "\""));
        events.sort(Comparator.comparing(e -> e.getRequest().getLoggedDate()));
        return events;
    }

    private static long arrivalMillis(ServeEvent event) {
        return event.getRequest().getLoggedDate().getTime();
    }

    private static String text(Message message) {
        return message.content().get(0).asText().text();
    }

    @Test
    void a529ThenA200SucceedsWithExactlyTwoUpstreamCalls() {
        firstThenOk("claude-529", json(529, error("overloaded_error", "Overloaded")));

        Message answer = sdk().messages().create(params("claude-529"));

        assertThat(text(answer)).isEqualTo("Hello from upstream");
        assertThat(calls("claude-529")).hasSize(2);
        assertThat(calls("claude-529"))
                .allSatisfy(
                        call -> assertThat(call.getRequest().getHeaders().all().toString())
                                // anthropic-java 3.x sends its API key as a bearer token; x-api-key is the older way
                                .contains("Authorization: Bearer " + API_KEY));
    }

    @Test
    void a429WithRetryAfterAndResetHeadersHoldsTheNextRequestOfItsModelUntilThen() throws Exception {
        always("claude-warm-up-1", json(200, message("claude-warm-up-1")));
        sdk().messages().create(params("claude-warm-up-1"));
        String reset = DateTimeFormatter.ISO_INSTANT.format(Instant.now().plusSeconds(2));
        firstThenOk(
                "claude-held",
                json(429, error("rate_limit_error", "Number of request tokens has exceeded your rate limit"))
                        .withHeader("retry-after", "2")
                        .withHeader("anthropic-ratelimit-tokens-remaining", "0")
                        .withHeader("anthropic-ratelimit-tokens-reset", reset)
                        .withHeader("anthropic-ratelimit-requests-remaining", "49")
                        .withHeader("anthropic-ratelimit-requests-reset", reset));
        always("claude-free", json(200, message("claude-free")));
        AnthropicClient sdk = sdk();

        CompletableFuture<Message> first =
                CompletableFuture.supplyAsync(() -> sdk.messages().create(params("claude-held")));
        await().atMost(Duration.ofSeconds(5)).until(() -> calls("claude-held").size() == 1);
        long limitedAt = arrivalMillis(calls("claude-held").get(0));
        Message second = sdk.messages().create(params("claude-held"));
        Message other = sdk.messages().create(params("claude-free"));

        assertThat(text(first.get(10, TimeUnit.SECONDS))).isEqualTo("Hello from upstream");
        assertThat(text(second)).isEqualTo("Hello from upstream");
        assertThat(text(other)).isEqualTo("Hello from upstream");
        List<ServeEvent> held = calls("claude-held");
        assertThat(held).hasSize(3);
        // The 429 said 2 s: the first request's retry and the second request both reached the upstream after it.
        assertThat(held.subList(1, 3))
                .allSatisfy(call -> assertThat(arrivalMillis(call) - limitedAt).isGreaterThanOrEqualTo(1_990));
    }

    @Test
    void a429WithOnlyResetHeadersWaitsForTheLatestExhaustedReset() throws Exception {
        always("claude-warm-up-2", json(200, message("claude-warm-up-2")));
        sdk().messages().create(params("claude-warm-up-2"));
        Instant tokensReset = Instant.now().plusMillis(1_800);
        firstThenOk(
                "claude-reset",
                json(429, error("rate_limit_error", "Output tokens per minute exceeded"))
                        .withHeader("anthropic-ratelimit-requests-remaining", "0")
                        .withHeader(
                                "anthropic-ratelimit-requests-reset",
                                Instant.now().plusMillis(600).toString())
                        .withHeader("anthropic-ratelimit-output-tokens-remaining", "0")
                        .withHeader("anthropic-ratelimit-output-tokens-reset", tokensReset.toString())
                        .withHeader("anthropic-ratelimit-input-tokens-remaining", "1000")
                        .withHeader(
                                "anthropic-ratelimit-input-tokens-reset",
                                Instant.now().plusSeconds(50).toString()));

        Message answer = sdk().messages().create(params("claude-reset"));

        assertThat(text(answer)).isEqualTo("Hello from upstream");
        List<ServeEvent> calls = calls("claude-reset");
        assertThat(calls).hasSize(2);
        // Both clocks are this machine's; the retry waited for the output-token reset, not the earlier request one
        // nor the input-token one that still had quota.
        assertThat(arrivalMillis(calls.get(1)))
                .isBetween(tokensReset.toEpochMilli() - 10, tokensReset.toEpochMilli() + 3_000);
    }

    @Test
    void a400IsSentOnceAndRaisedAsBadRequest() {
        always("claude-400", json(400, error("invalid_request_error", "max_tokens: field required")));

        BadRequestException e = catchThrowableOfType(
                BadRequestException.class, () -> sdk().messages().create(params("claude-400")));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.type()).contains(ErrorType.INVALID_REQUEST_ERROR);
        assertThat(e.headers().values("x-should-retry")).containsExactly("false");
        assertThat(calls("claude-400")).hasSize(1);
    }

    @Test
    void theSdkObeysBreakwatersXShouldRetryFalseAndDoesNotRetryOnTop() {
        always("claude-down", json(503, error("api_error", "Service unavailable")));

        ServiceUnavailableException e = catchThrowableOfType(
                ServiceUnavailableException.class, () -> sdk().messages().create(params("claude-down")));

        assertThat(e.headers().values("x-should-retry")).containsExactly("false");
        assertThat(e.headers().values("x-breakwater-attempts")).containsExactly("3");
        // Breakwater's 3 attempts; without the SDK honouring x-should-retry: false it would be 3 x 3 = 9.
        assertThat(calls("claude-down")).hasSize(3);
    }

    @Test
    void anOpenBreakerIsRaisedByTheSdkAsAServiceUnavailableErrorWithBreakwatersMessage() throws Exception {
        always("claude-open", json(200, message("claude-open")));
        assertThat(admin("/admin/routes/anthropic/circuit-breaker/open").statusCode())
                .isEqualTo(200);
        try {
            ServiceUnavailableException e = catchThrowableOfType(
                    ServiceUnavailableException.class, () -> sdk().messages().create(params("claude-open")));

            assertThat(e.statusCode()).isEqualTo(503);
            assertThat(e.type()).contains(ErrorType.OVERLOADED_ERROR);
            assertThat(e.errorCode()).contains("circuit_open");
            assertThat(e.apiMessage())
                    .hasValueSatisfying(
                            m -> assertThat(m).startsWith("The circuit breaker of route 'anthropic' is open"));
            assertThat(e.getMessage()).contains("The circuit breaker of route 'anthropic' is open (forced open");
            assertThat(calls("claude-open")).isEmpty();
        } finally {
            admin("/admin/routes/anthropic/circuit-breaker/close");
        }
    }

    @Test
    void a529CountsAsABreakerFailureAndTheOpenBreakerAnswersInAnthropicsShape() throws Exception {
        always("claude-overloaded", json(529, error("overloaded_error", "Overloaded")));
        for (int i = 0; i < 4; i++) {
            OverloadedException e = catchThrowableOfType(
                    OverloadedException.class,
                    () -> sdk("/overloaded", API_KEY).messages().create(params("claude-overloaded")));
            assertThat(e.statusCode()).isEqualTo(529);
        }
        assertThat(calls("claude-overloaded")).hasSize(4);

        HttpResponse<String> refused = Http.post(
                proxy.uri("/overloaded/v1/messages"),
                "{\"model\":\"claude-overloaded\"}",
                "content-type",
                "application/json",
                "anthropic-version",
                "2023-06-01");

        assertThat(refused.statusCode()).isEqualTo(503);
        JsonObject body = new JsonObject(refused.body());
        assertThat(body.getString("type")).isEqualTo("error");
        assertThat(body.getJsonObject("error").getString("type")).isEqualTo("overloaded_error");
        assertThat(body.getJsonObject("error").getJsonObject("details").getString("error_code"))
                .isEqualTo("circuit_open");
        assertThat(calls("claude-overloaded")).hasSize(4);
    }

    @Test
    void aStreamBrokenMidwayEndsWithAnErrorEventTheSdkRaises() {
        List<RawMessageStreamEvent> events = new ArrayList<>();
        SseException e;
        try (StreamResponse<RawMessageStreamEvent> stream =
                sdk("/broken", API_KEY).messages().createStreaming(params("claude-stream"))) {
            e = catchThrowableOfType(SseException.class, () -> stream.stream().forEach(events::add));
        }

        assertThat(events).hasSize(3);
        assertThat(e).isNotNull();
        assertThat(e.type()).contains(ErrorType.API_ERROR);
        assertThat(e.errorCode()).contains("upstream_interrupted");
        assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).startsWith("The upstream broke off"));
    }

    @Test
    void aNoRouteAnswerToAnAnthropicClientIsAnAnthropicNotFoundError() throws Exception {
        HttpResponse<String> response =
                Http.post(proxy.uri("/nowhere/v1/messages"), "{}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(404);
        JsonObject error = new JsonObject(response.body()).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("not_found_error");
        assertThat(error.getJsonObject("details").getString("error_code")).isEqualTo("no_route");
    }

    @Test
    void neverLogsTheApiKeyEvenWhileRetrying() throws Exception {
        firstThenOk("claude-logged", json(529, error("overloaded_error", "Overloaded")));
        List<String> lines;
        try (LogCapture logs = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            sdk("", "sk-ant-api03-never-logged").messages().create(params("claude-logged"));
            firstThenOk("claude-logged-raw", json(529, error("overloaded_error", "Overloaded")));
            HttpResponse<String> raw = Http.post(
                    proxy.uri(PATH),
                    "{\"model\":\"claude-logged-raw\"}",
                    "content-type",
                    "application/json",
                    "x-api-key",
                    "sk-ant-api03-raw-never-logged");
            assertThat(raw.statusCode()).isEqualTo(200);
            lines = logs.lines();
        }

        assertThat(lines).anySatisfy(line -> assertThat(line).contains("result=529"));
        assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain("never-logged"));
    }

    private static HttpResponse<String> admin(String path) throws Exception {
        return Http.send(HttpRequest.newBuilder(proxy.adminUri(path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    }
}
