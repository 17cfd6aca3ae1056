package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.OpenAIException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.NodeSdk;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streams through the running proxy against a scripted Vert.x upstream: a stream that fails before its first
 * content event is retried unseen; one that fails after ends with an error event in its dialect, which the
 * official SDKs raise.
 */
class StreamCommitIT {
    private static final String CHUNK = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n";
    private static final String END = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},"
            + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    private static final String WHOLE_CHAT = CHUNK.formatted("Hel") + CHUNK.formatted("lo") + END;
    private static final String SERVER_ERROR = "data: {\"error\":{\"message\":\"The server had an error while "
            + "processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";

    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestProxy proxy;
    /** Per test (the {@code x-test} header): what each attempt gets, the last one repeated. */
    private static final Map<String, Deque<BiConsumer<HttpServerRequest, HttpServerResponse>>> scripts =
            new ConcurrentHashMap<>();

    private static final Map<String, AtomicInteger> arrivals = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    String test = request.getHeader("x-test");
                    arrivals.computeIfAbsent(test, t -> new AtomicInteger()).incrementAndGet();
                    Deque<BiConsumer<HttpServerRequest, HttpServerResponse>> script = scripts.get(test);
                    if (script == null) {
                        request.response().setStatusCode(404).end();
                        return;
                    }
                    BiConsumer<HttpServerRequest, HttpServerResponse> next =
                            script.size() > 1 ? script.poll() : script.peek();
                    next.accept(request, request.response());
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        proxy = TestProxy.start("""
                defaults:
                  timeouts: {connect: 2s, response: 2s, idle: 5s, total: 30s}
                  retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0, retry-methods: [GET, POST]}
                  circuit-breaker: {enabled: false}
                  stream: {first-event-timeout: 500ms, idle-timeout: 400ms}
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: http://127.0.0.1:%1$d
                    provider: openai
                  - name: anthropic
                    path-prefix: /anthropic/
                    strip-prefix: true
                    upstream: http://127.0.0.1:%1$d
                    provider: anthropic
                  - name: reasoning
                    path-prefix: /reasoning/
                    strip-prefix: true
                    upstream: http://127.0.0.1:%1$d
                    provider: openai
                    timeouts: {response: 1s, total: 0}
                    stream: {first-event-timeout: 2s, idle-timeout: 600ms}
                """.formatted(upstream.actualPort()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @SafeVarargs
    private static void script(String test, BiConsumer<HttpServerRequest, HttpServerResponse>... attempts) {
        scripts.put(test, new ArrayDeque<>(List.of(attempts)));
        arrivals.remove(test);
    }

    private static int arrivals(String test) {
        AtomicInteger count = arrivals.get(test);
        return count == null ? 0 : count.get();
    }

    private static HttpServerResponse sseHead(HttpServerResponse response) {
        return response.setChunked(true).putHeader("content-type", "text/event-stream");
    }

    /** Sends {@code body} and ends the stream. */
    private static BiConsumer<HttpServerRequest, HttpServerResponse> stream(String body) {
        return (request, response) -> sseHead(response).end(body);
    }

    /** Sends {@code body}, then closes the connection without ending the chunked body. */
    private static BiConsumer<HttpServerRequest, HttpServerResponse> cutAfter(String body) {
        return (request, response) -> {
            sseHead(response).writeHead();
            if (!body.isEmpty()) {
                response.write(body);
            }
            vertx.setTimer(30, id -> request.connection().close());
        };
    }

    /** Sends {@code body} and then nothing, keeping the connection open; {@code closed} learns when it closes. */
    private static BiConsumer<HttpServerRequest, HttpServerResponse> stallAfter(String body, AtomicBoolean closed) {
        return (request, response) -> {
            sseHead(response).writeHead();
            if (!body.isEmpty()) {
                response.write(body);
            }
            request.connection().closeHandler(v -> closed.set(true));
        };
    }

    private static HttpResponse<String> post(String path, String test) throws IOException, InterruptedException {
        return Http.send(HttpRequest.newBuilder(proxy.uri(path))
                .timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .header("x-test", test)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"stream\":true}"))
                .build());
    }

    // ---- Chat Completions ----

    @Test
    void anErrorEventBeforeAnyContentIsRetriedAndTheClientSeesOneCleanStream() throws Exception {
        script("error-first", stream(SERVER_ERROR), stream(WHOLE_CHAT));

        HttpResponse<String> response = post("/v1/chat/completions", "error-first");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(response.body()).isEqualTo(WHOLE_CHAT);
        assertThat(arrivals("error-first")).isEqualTo(2);
    }

    @Test
    void aCutAfterNoEventIsRetried() throws Exception {
        script("cut-first", cutAfter(""), stream(WHOLE_CHAT));

        HttpResponse<String> response = post("/v1/chat/completions", "cut-first");

        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(response.body()).isEqualTo(WHOLE_CHAT);
    }

    @Test
    void aCutInsideTheFirstEventIsRetriedWithoutItsFragment() throws Exception {
        script("cut-partial", cutAfter("data: {\"id\":\"chatcmpl-1\",\"obj"), stream(WHOLE_CHAT));

        HttpResponse<String> response = post("/v1/chat/completions", "cut-partial");

        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(response.body()).isEqualTo(WHOLE_CHAT);
    }

    @Test
    void aStreamSilentPastTheFirstEventTimeoutIsRetriedAndTheSilentOneClosed() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        script("silent-first", stallAfter("", closed), stream(WHOLE_CHAT));
        long start = System.nanoTime();

        HttpResponse<String> response = post("/v1/chat/completions", "silent-first");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(response.body()).isEqualTo(WHOLE_CHAT);
        await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
    }

    @Test
    void anErrorRetryingCannotFixIsRelayedAsTheUpstreamSentIt() throws Exception {
        String invalid = "data: {\"error\":{\"message\":\"too long\",\"type\":\"invalid_request_error\","
                + "\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}\n\n";
        script("invalid", stream(invalid));

        HttpResponse<String> response = post("/v1/chat/completions", "invalid");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        assertThat(response.body()).isEqualTo(invalid);
        assertThat(arrivals("invalid")).isEqualTo(1);
    }

    @Test
    void aCutAfterThreeContentEventsIsNotRetriedAndEndsWithAnErrorFrameNotAFragment() throws Exception {
        String three = CHUNK.formatted("a") + CHUNK.formatted("b") + CHUNK.formatted("c");
        script("cut-late", cutAfter(three + "data: {\"id\":\"chatcmpl-1\",\"obj"));

        HttpResponse<String> response = post("/v1/chat/completions", "cut-late");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(arrivals("cut-late")).isEqualTo(1);
        assertThat(response.body()).startsWith(three).doesNotContain("\"obj\n");
        String last = response.body().substring(three.length());
        assertThat(last).startsWith("data: {\"error\":").endsWith("}}\n\n");
        assertThat(new JsonObject(last.substring(6).trim())
                        .getJsonObject("error")
                        .getString("code"))
                .isEqualTo("upstream_interrupted");
    }

    @Test
    void theOpenAiJavaSdkRaisesOnAStreamCutAfterContent() {
        String three = CHUNK.formatted("a") + CHUNK.formatted("b") + CHUNK.formatted("c");
        script("sdk-cut", cutAfter(three + "data: {\"id\":\"chatcmpl-1\",\"obj"));
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(proxy.uri("/v1").toString())
                .apiKey("sk-test")
                .putHeader("x-test", "sdk-cut")
                .maxRetries(0)
                .build();
        List<String> seen = new ArrayList<>();

        assertThatThrownBy(() -> {
                    try (var stream = client.chat()
                            .completions()
                            .createStreaming(ChatCompletionCreateParams.builder()
                                    .model("gpt-4o-mini")
                                    .addUserMessage("hi")
                                    .build())) {
                        stream.stream().forEach(chunk -> seen.add(content(chunk)));
                    }
                })
                .isInstanceOf(OpenAIException.class)
                .hasMessageContaining("The upstream broke off the response");
        assertThat(seen).containsExactly("a", "b", "c");
    }

    private static String content(ChatCompletionChunk chunk) {
        return chunk.choices().get(0).delta().content().orElse("");
    }

    @Test
    void aStreamSilentPastTheIdleTimeoutEndsWithTheErrorFrame() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        script("stall", stallAfter(CHUNK.formatted("a"), closed));
        long start = System.nanoTime();

        HttpResponse<String> response = post("/v1/chat/completions", "stall");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(350));
        assertThat(response.body()).startsWith(CHUNK.formatted("a") + "data: {\"error\":");
        assertThat(response.body()).contains("stream.idle-timeout");
        await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
    }

    @Test
    void aSlowReasoningStreamWithoutTotalIsNotCutWhileEventsFlow() throws Exception {
        // Scaled down: 0.8 s of thinking, then an event every 250 ms for 2.5 s; response 1 s, idle 600 ms, total 0.
        script("reasoning", (request, response) -> {
            sseHead(response).writeHead();
            AtomicInteger sent = new AtomicInteger();
            vertx.setTimer(800, first -> {
                response.write(CHUNK.formatted("t0"));
                vertx.setPeriodic(250, id -> {
                    int n = sent.incrementAndGet();
                    if (n < 10) {
                        response.write(CHUNK.formatted("t" + n));
                    } else {
                        vertx.cancelTimer(id);
                        response.end(END);
                    }
                });
            });
        });
        long start = System.nanoTime();

        HttpResponse<String> response = post("/reasoning/chat/completions", "reasoning");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofSeconds(3));
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        assertThat(response.body())
                .contains("\"t9\"")
                .endsWith("data: [DONE]\n\n")
                .doesNotContain("\"error\"");
    }

    // ---- Responses API ----

    private static String responsesEvent(String type, String fields) {
        return "event: " + type + "\ndata: {\"type\":\"" + type + "\"" + fields + "}\n\n";
    }

    private static final String RESPONSES_OPENING = responsesEvent(
                    "response.created", ",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"queued\"}")
            + responsesEvent(
                    "response.in_progress",
                    ",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}");

    @Test
    void aResponsesStreamFailedAfterItsOpeningEventsIsRetried() throws Exception {
        String failed = RESPONSES_OPENING
                + responsesEvent(
                        "response.failed",
                        ",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"status\":\"failed\","
                                + "\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}");
        String whole = RESPONSES_OPENING
                + responsesEvent("response.output_text.delta", ",\"sequence_number\":2,\"delta\":\"Hi\"")
                + responsesEvent(
                        "response.completed",
                        ",\"sequence_number\":3,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\"}");
        script("responses-failed", stream(failed), stream(whole));

        HttpResponse<String> response = post("/v1/responses", "responses-failed");

        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(response.body()).isEqualTo(whole);
    }

    @Test
    void aResponsesStreamCutAfterContentEndsWithAnErrorEvent() throws Exception {
        String sent = RESPONSES_OPENING
                + responsesEvent("response.output_text.delta", ",\"sequence_number\":2,\"delta\":\"Hi\"");
        script("responses-cut", cutAfter(sent + "event: response.output_text.delta\ndata: {\"ty"));

        HttpResponse<String> response = post("/v1/responses", "responses-cut");

        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        assertThat(response.body()).startsWith(sent + "event: error\ndata: ");
        JsonObject error = new JsonObject(response.body()
                .substring((sent + "event: error\ndata: ").length())
                .trim());
        assertThat(error.getString("type")).isEqualTo("error");
        assertThat(error.getString("code")).isEqualTo("upstream_interrupted");
        assertThat(error.getLong("sequence_number")).isEqualTo(3);
    }

    @Test
    void theOpenAiJavaSdkRaisesOnAResponsesStreamCutAfterContent() {
        String sent = RESPONSES_OPENING
                + responsesEvent("response.output_text.delta", ",\"sequence_number\":2,\"delta\":\"Hi\"");
        script("sdk-responses-cut", cutAfter(sent + "event: response.output_text.delta\ndata: {\"ty"));
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(proxy.uri("/v1").toString())
                .apiKey("sk-test")
                .putHeader("x-test", "sdk-responses-cut")
                .maxRetries(0)
                .build();
        List<String> types = new ArrayList<>();

        assertThatThrownBy(() -> {
                    try (var stream = client.responses()
                            .createStreaming(ResponseCreateParams.builder()
                                    .model("gpt-4o-mini")
                                    .input("hi")
                                    .build())) {
                        stream.stream().forEach(event -> types.add(event.isOutputTextDelta() ? "delta" : "other"));
                    }
                })
                .isInstanceOf(OpenAIException.class)
                .hasMessageContaining("The upstream broke off the response");
        assertThat(types).containsExactly("other", "other", "delta");
    }

    // ---- Anthropic Messages ----

    private static String anthropicEvent(String type, String json) {
        return "event: " + type + "\ndata: " + json + "\n\n";
    }

    private static final String MESSAGE_START = anthropicEvent(
                    "message_start",
                    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                            + "\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],\"stop_reason\":null,"
                            + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}")
            + anthropicEvent("ping", "{\"type\": \"ping\"}")
            + anthropicEvent(
                    "content_block_start",
                    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
                            + "\"text\":\"\"}}");

    private static String textDelta(String text) {
        return anthropicEvent(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + text
                        + "\"}}");
    }

    private static final String MESSAGE_END =
            anthropicEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                    + anthropicEvent(
                            "message_delta",
                            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                                    + "\"usage\":{\"output_tokens\":2}}")
                    + anthropicEvent("message_stop", "{\"type\":\"message_stop\"}");

    private static AnthropicClient anthropic(String test) {
        return AnthropicOkHttpClient.builder()
                .baseUrl(proxy.uri("/anthropic").toString())
                .apiKey("sk-ant-test")
                .putHeader("x-test", test)
                .maxRetries(0)
                .build();
    }

    private static List<String> streamText(AnthropicClient client) {
        List<String> texts = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages()
                .createStreaming(MessageCreateParams.builder()
                        .model("claude-test")
                        .maxTokens(64)
                        .addUserMessage("hi")
                        .build())) {
            stream.stream()
                    .forEach(event -> event.contentBlockDelta()
                            .flatMap(delta -> delta.delta().text())
                            .ifPresent(text -> texts.add(text.text())));
        }
        return texts;
    }

    @Test
    void anAnthropicStreamOverloadedAfterMessageStartIsRetriedAndTheSdkSeesOneMessage() {
        String overloaded = MESSAGE_START
                + anthropicEvent(
                        "error",
                        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
        script(
                "anthropic-overloaded",
                stream(overloaded),
                stream(MESSAGE_START + textDelta("Hel") + textDelta("lo") + MESSAGE_END));

        List<String> texts = streamText(anthropic("anthropic-overloaded"));

        assertThat(texts).containsExactly("Hel", "lo");
        assertThat(arrivals("anthropic-overloaded")).isEqualTo(2);
    }

    @Test
    void anAnthropicStreamCutAfterContentEndsWithAnErrorEventTheSdkRaises() throws Exception {
        String sent = MESSAGE_START + textDelta("Hel");
        script("anthropic-cut", cutAfter(sent + "event: content_block_delta\ndata: {\"type\":\"con"));

        assertThatThrownBy(() -> streamText(anthropic("anthropic-cut")))
                .isInstanceOf(com.anthropic.errors.AnthropicException.class)
                .hasMessageContaining("The upstream broke off the response");

        HttpResponse<String> raw = post("/anthropic/v1/messages", "anthropic-cut");
        assertThat(raw.body())
                .startsWith(sent + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\"");
        assertThat(arrivals("anthropic-cut")).isEqualTo(2);
    }

    // ---- The Node SDK ----

    @Test
    void theOpenAiNodeSdkRaisesOnAStreamCutAfterContent() throws Exception {
        String three = CHUNK.formatted("a") + CHUNK.formatted("b") + CHUNK.formatted("c");
        script("node-cut", cutAfter(three + "data: {\"id\":\"chatcmpl-1\",\"obj"));
        script("node-retried", stream(SERVER_ERROR), stream(WHOLE_CHAT));

        JsonObject cut = NodeSdk.run("stream-errors.mjs", proxy.uri("/v1").toString(), "node-cut");
        JsonObject retried = NodeSdk.run("stream-errors.mjs", proxy.uri("/v1").toString(), "node-retried");

        assertThat(cut.getJsonArray("chunks").getList()).containsExactly("a", "b", "c");
        assertThat(cut.getString("error")).isEqualTo("APIError");
        assertThat(cut.getString("message")).contains("The upstream broke off the response");
        assertThat(retried.getJsonArray("chunks").getList()).containsExactly("Hel", "lo", "");
        assertThat(retried.getString("error")).isNull();
    }
}
