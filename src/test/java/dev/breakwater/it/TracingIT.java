package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.ScriptedUpstream;
import dev.breakwater.testing.TestProxy;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry traces through the running proxy: a loopback OTLP/HTTP receiver decodes the real protobuf the SDK
 * exports, and a scripted upstream records the {@code traceparent} each attempt sent.
 */
class TracingIT {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String CLIENT_TRACEPARENT = "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01";
    private static final String BODY =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static Vertx vertx;
    private static HttpServer receiver;
    private static final List<Span> spans = new CopyOnWriteArrayList<>();
    private static final AtomicInteger retriedCalls = new AtomicInteger();
    private static ScriptedUpstream upstream;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        receiver = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    try {
                        ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(body.getBytes());
                        for (ResourceSpans resource : export.getResourceSpansList()) {
                            for (ScopeSpans scope : resource.getScopeSpansList()) {
                                spans.addAll(scope.getSpansList());
                            }
                        }
                        request.response()
                                .putHeader("content-type", "application/x-protobuf")
                                .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance()
                                        .toByteArray()));
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        request.response().setStatusCode(400).end();
                    }
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        upstream = ScriptedUpstream.start(request -> {
            if (request.path().startsWith("/v1/retried/")) {
                return retriedCalls.getAndIncrement() < 2
                        ? ScriptedUpstream.respond(ScriptedUpstream.response(503, "{\"error\":{\"message\":\"busy\"}}"))
                        : ScriptedUpstream.respond(json(200, """
                                {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",\
                                "choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}],\
                                "usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}"""));
            }
            if (request.path().startsWith("/v1/stream/")) {
                return (socket, out) -> {
                    // The first event commits the stream; the usage chunk arrives after, as a real stream's does.
                    out.write(
                            ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                                            + chunk(
                                                    "data: {\"id\":\"c\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":"
                                                            + "[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"))
                                    .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    Thread.sleep(50);
                    out.write((chunk("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],"
                                            + "\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":5}}\n\n"
                                            + "data: [DONE]\n\n")
                                    + "0\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    return true;
                };
            }
            if (request.path().startsWith("/v1/big/")) {
                // Usage after 20 KB of text: only the kept tail of the body can find it.
                return ScriptedUpstream.respond(json(
                        200,
                        "{\"id\":\"chatcmpl-2\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"message\":"
                                + "{\"content\":\"" + "x".repeat(20_000) + "\"}}],"
                                + "\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":5000}}"));
            }
            if (request.path().startsWith("/anthropic/")) {
                return ScriptedUpstream.respond(ScriptedUpstream.response(
                                200,
                                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
                                        + "\"model\":\"claude-sonnet-4-5-20250929\",\"usage\":{\"input_tokens\":25,"
                                        + "\"output_tokens\":1}}}\n\n"
                                        + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                                        + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
                                        + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
                                        + "{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n"
                                        + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
                        .replace("Content-Type: text/plain", "Content-Type: text/event-stream"));
            }
            return ScriptedUpstream.respond(json(200, "{\"ok\":true}"));
        });
    }

    @AfterAll
    static void stop() throws Exception {
        upstream.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String json(int status, String body) {
        return ScriptedUpstream.response(status, body)
                .replace("Content-Type: text/plain", "Content-Type: application/json");
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.getBytes(StandardCharsets.ISO_8859_1).length) + "\r\n" + data + "\r\n";
    }

    private static String config(boolean tracing) {
        return (tracing
                        ? "tracing: {otlp-endpoint: \"http://127.0.0.1:" + receiver.actualPort()
                                + "\", service-name: breakwater-it}\n"
                        : "")
                + """
                defaults:
                  retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0}
                  circuit-breaker: {enabled: false}
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: %s
                    provider: openai
                    retry: {retry-methods: [GET, POST]}
                  - name: anthropic
                    path-prefix: /anthropic/
                    upstream: %s
                    provider: anthropic
                """.formatted(upstream.url(), upstream.url());
    }

    @Test
    void aRequestRetriedTwiceHasOneServerSpanAndOneClientSpanPerAttempt() throws Exception {
        HttpResponse<String> response;
        List<String> logLines;
        try (TestProxy proxy = TestProxy.start(config(true));
                LogCapture logs = LogCapture.of("breakwater")) {
            response = Http.post(
                    proxy.uri("/v1/retried/chat/completions"),
                    BODY,
                    "content-type",
                    "application/json",
                    "traceparent",
                    CLIENT_TRACEPARENT);
            // The client has the whole body (its Content-Length) before the upstream's end reaches the relay,
            // which writes the access line: wait for it.
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> logs.lines().stream().anyMatch(line -> line.startsWith("request ")));
            logLines = logs.lines();
        }
        // Closing the proxy flushed its spans.
        assertThat(response.statusCode()).isEqualTo(200);
        List<ScriptedUpstream.Recorded> sent = upstream.requests().stream()
                .filter(r -> r.path().startsWith("/v1/retried/"))
                .toList();
        assertThat(sent).hasSize(3);

        List<Span> trace =
                await().atMost(Duration.ofSeconds(10)).until(() -> spansOf(TRACE_ID), found -> found.size() >= 4);
        assertThat(trace).hasSize(4);
        Span server = trace.stream()
                .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(hex(server.getParentSpanId())).isEqualTo(CLIENT_SPAN);
        assertThat(attributes(server))
                .containsEntry("http.request.method", "POST")
                .containsEntry("url.path", "/v1/retried/chat/completions")
                .containsEntry("http.route", "openai")
                .containsEntry("http.response.status_code", "200")
                .containsEntry("gen_ai.system", "openai")
                .containsEntry("gen_ai.request.model", "gpt-4o-mini")
                .containsEntry("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
                .containsEntry("gen_ai.usage.input_tokens", "11")
                .containsEntry("gen_ai.usage.output_tokens", "3");
        assertThat(server.getEventsList()).extracting(Span.Event::getName).contains("breakwater.retry");

        List<Span> attempts = trace.stream()
                .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
                .sorted((a, b) -> Long.compare(a.getStartTimeUnixNano(), b.getStartTimeUnixNano()))
                .toList();
        assertThat(attempts).hasSize(3);
        for (int i = 0; i < 3; i++) {
            Span attempt = attempts.get(i);
            Map<String, String> attributes = attributes(attempt);
            assertThat(hex(attempt.getParentSpanId())).isEqualTo(hex(server.getSpanId()));
            assertThat(attributes)
                    .containsEntry("http.request.resend_count", Integer.toString(i))
                    .containsEntry("gen_ai.request.model", "gpt-4o-mini")
                    .containsEntry("server.address", "127.0.0.1")
                    .containsEntry("http.response.status_code", i < 2 ? "503" : "200");
            // Each attempt sent its own span as the upstream's parent.
            assertThat(sent.get(i).header("traceparent"))
                    .isEqualTo("00-" + TRACE_ID + "-" + hex(attempt.getSpanId()) + "-01");
            if (i > 0) {
                // the backoff: 10 ms, then doubled
                assertThat(attributes)
                        .containsEntry("breakwater.retry.wait_ms", i == 1 ? "10" : "20")
                        .containsEntry("breakwater.retry.reason", "status_503");
            }
        }
        assertThat(attempts.get(2).getAttributesList())
                .extracting(KeyValue::getKey)
                .contains("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens");
        assertThat(attempts).extracting(s -> hex(s.getSpanId())).doesNotHaveDuplicates();
        assertThat(logLines)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("request ")
                        .contains("trace_id=" + TRACE_ID)
                        .contains("span_id=" + hex(server.getSpanId())));
        // The retry line names the attempt it decided on.
        assertThat(logLines)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("retry ")
                        .contains("attempt=1,")
                        .contains("trace_id=" + TRACE_ID)
                        .contains("span_id=" + hex(attempts.get(0).getSpanId())));
    }

    @Test
    void aStreamsFinalUsageChunkReachesTheSpan() throws Exception {
        String traceId = "11112222333344445555666677778888";
        HttpResponse<String> response;
        try (TestProxy proxy = TestProxy.start(config(true))) {
            response = Http.post(
                    proxy.uri("/v1/stream/chat/completions"),
                    BODY,
                    "content-type",
                    "application/json",
                    "traceparent",
                    "00-" + traceId + "-" + CLIENT_SPAN + "-01");
        }
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("[DONE]");
        Span server = await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> spansOf(traceId).stream()
                                .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        assertThat(attributes(server))
                .containsEntry("gen_ai.request.model", "gpt-4o-mini")
                .containsEntry("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
                .containsEntry("gen_ai.usage.input_tokens", "21")
                .containsEntry("gen_ai.usage.output_tokens", "5");
    }

    @Test
    void usageAtTheEndOfALargeBodyAndInAnAnthropicStream() throws Exception {
        String bigTrace = "aaaabbbbccccddddeeeeffff00001111";
        String anthropicTrace = "bbbbccccddddeeeeffff000011112222";
        try (TestProxy proxy = TestProxy.start(config(true))) {
            assertThat(Http.post(
                                    proxy.uri("/v1/big/chat/completions"),
                                    BODY,
                                    "traceparent",
                                    "00-" + bigTrace + "-" + CLIENT_SPAN + "-01")
                            .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> stream = Http.post(
                    proxy.uri("/anthropic/v1/messages"),
                    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[]}",
                    "traceparent",
                    "00-" + anthropicTrace + "-" + CLIENT_SPAN + "-01");
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.body()).contains("message_stop");
        }
        assertThat(attributes(serverSpan(bigTrace)))
                .containsEntry("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
                .containsEntry("gen_ai.usage.input_tokens", "1000")
                .containsEntry("gen_ai.usage.output_tokens", "5000");
        assertThat(attributes(serverSpan(anthropicTrace)))
                .containsEntry("gen_ai.system", "anthropic")
                .containsEntry("gen_ai.request.model", "claude-sonnet-4-5")
                .containsEntry("gen_ai.response.model", "claude-sonnet-4-5-20250929")
                .containsEntry("gen_ai.usage.input_tokens", "25")
                .containsEntry("gen_ai.usage.output_tokens", "15");
    }

    private static Span serverSpan(String traceId) {
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> spansOf(traceId).stream()
                                .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
    }

    @Test
    void withTracingOffTheClientsTraceparentGoesUpstreamUnchanged() throws Exception {
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        int before = spans.size();
        try (TestProxy proxy = TestProxy.start(config(false))) {
            HttpResponse<String> response =
                    Http.post(proxy.uri("/v1/plain/chat/completions"), BODY, "traceparent", traceparent);
            assertThat(response.statusCode()).isEqualTo(200);
        }
        ScriptedUpstream.Recorded sent = upstream.requests().stream()
                .filter(r -> r.path().startsWith("/v1/plain/"))
                .findFirst()
                .orElseThrow();
        assertThat(sent.header("traceparent")).isEqualTo(traceparent);
        assertThat(spans.subList(before, spans.size()))
                .noneMatch(s -> hex(s.getTraceId()).equals("0af7651916cd43dd8448eb211c80319c"));
    }

    private static List<Span> spansOf(String traceId) {
        return spans.stream().filter(s -> hex(s.getTraceId()).equals(traceId)).toList();
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    /** Every attribute as text (numbers in decimal). */
    private static Map<String, String> attributes(Span span) {
        Map<String, String> out = new java.util.HashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            AnyValue v = kv.getValue();
            out.put(
                    kv.getKey(),
                    switch (v.getValueCase()) {
                        case INT_VALUE -> Long.toString(v.getIntValue());
                        case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                        case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                        default -> v.getStringValue();
                    });
        }
        return out;
    }
}
