package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSockets through the running proxy against Vert.x WebSocket upstreams: frames both ways, close codes, a
 * retried handshake, a refused one, the OpenAI Realtime event flow, and the idle timeout.
 */
class WebSocketIT {
    private static final int MIB = 1024 * 1024;
    private static final int MAX_MESSAGE = 16 * MIB;

    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestProxy proxy;
    private static WebSocketClient client;

    /** Per session id (the {@code id} query parameter): the close code and reason the upstream saw. */
    private static final Map<String, CompletableFuture<String>> upstreamClosed = new ConcurrentHashMap<>();

    /** The handshake headers the keyed route's upstream received. */
    private static final CompletableFuture<MultiMap> keyedHandshake = new CompletableFuture<>();

    private static final AtomicInteger flakyHandshakes = new AtomicInteger();
    private static final AtomicInteger refusedHandshakes = new AtomicInteger();
    /** What the Realtime upstream sent after session.created, in order. */
    private static final List<String> realtimeScript = realtimeScript();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        HttpServerOptions options = new HttpServerOptions()
                .setMaxWebSocketFrameSize(MAX_MESSAGE)
                .setMaxWebSocketMessageSize(MAX_MESSAGE)
                .setWebSocketSubProtocols(List.of("realtime"));
        upstream = vertx.createHttpServer(options)
                .requestHandler(WebSocketIT::upstreamRequest)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        proxy = TestProxy.start("""
                defaults:
                  timeouts: {connect: 2s, response: 5s, idle: 5s, total: 30s}
                  retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0}
                  circuit-breaker: {enabled: false}
                routes:
                  - name: ws
                    path-prefix: /ws/
                    upstream: http://127.0.0.1:%1$d
                  - name: quiet
                    path-prefix: /quiet/
                    upstream: http://127.0.0.1:%1$d
                    timeouts: {idle: 300ms}
                  - name: keyed
                    path-prefix: /keyed/
                    upstream: http://127.0.0.1:%1$d
                    headers: {authorization: "Bearer sk-route"}
                  - name: realtime
                    path-prefix: /v1/
                    upstream: http://127.0.0.1:%1$d
                    provider: openai
                """.formatted(upstream.actualPort()));
        client = vertx.createWebSocketClient(
                new WebSocketClientOptions().setMaxFrameSize(64 * 1024).setMaxMessageSize(MAX_MESSAGE));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void upstreamRequest(HttpServerRequest request) {
        String id = request.getParam("id", "-");
        switch (request.path()) {
            case "/ws/echo", "/quiet/silent" ->
                request.toWebSocket().onSuccess(ws -> {
                    recordClose(ws, id);
                    if (request.path().equals("/ws/echo")) {
                        echo(ws);
                    }
                });
            case "/ws/flaky" -> {
                if (flakyHandshakes.incrementAndGet() == 1) {
                    request.response().setStatusCode(503).end("warming up");
                } else {
                    request.toWebSocket().onSuccess(WebSocketIT::echo);
                }
            }
            case "/ws/auth" -> {
                refusedHandshakes.incrementAndGet();
                request.response()
                        .setStatusCode(401)
                        .putHeader("content-type", "application/json")
                        .end("{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\"}}");
            }
            case "/v1/realtime" -> realtime(request);
            case "/keyed/check" -> {
                keyedHandshake.complete(MultiMap.caseInsensitiveMultiMap().addAll(request.headers()));
                request.toWebSocket();
            }
            default -> request.response().setStatusCode(404).end();
        }
    }

    /** Echoes every data frame as it came; {@code close <code> <reason>} makes the upstream close instead. */
    private static void echo(ServerWebSocket ws) {
        ws.frameHandler(frame -> {
            if (frame.isText() && frame.isFinal() && frame.textData().startsWith("close ")) {
                String[] parts = frame.textData().split(" ", 3);
                ws.close(Short.parseShort(parts[1]), parts[2]);
            } else if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
                ws.writeFrame(frame);
            }
        });
    }

    private static void recordClose(ServerWebSocket ws, String id) {
        CompletableFuture<String> closed = upstreamClosed.computeIfAbsent(id, k -> new CompletableFuture<>());
        ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
    }

    private static void realtime(HttpServerRequest request) {
        if (!"Bearer sk-test".equals(request.getHeader("authorization"))
                || !"realtime=v1".equals(request.getHeader("openai-beta"))
                || !"gpt-realtime".equals(request.getParam("model"))) {
            request.response().setStatusCode(400).end("{\"error\":{\"message\":\"missing headers\"}}");
            return;
        }
        request.toWebSocket().onSuccess(ws -> {
            ws.writeTextMessage(event("session.created", ""));
            ws.textMessageHandler(text -> {
                if (new JsonObject(text).getString("type").equals("session.update")) {
                    realtimeScript.forEach(ws::writeTextMessage);
                }
            });
        });
    }

    private static List<String> realtimeScript() {
        List<String> events = new ArrayList<>();
        events.add(event("session.updated", ""));
        events.add(event(
                "rate_limits.updated",
                ",\"rate_limits\":[{\"name\":\"requests\",\"limit\":1000,\"remaining\":999,\"reset_seconds\":0.06},"
                        + "{\"name\":\"tokens\",\"limit\":50000,\"remaining\":49000,\"reset_seconds\":1.2}]"));
        events.add(event("response.created", ""));
        for (int i = 0; i < 5; i++) {
            events.add(event("response.output_text.delta", ",\"delta\":\"part " + i + "\""));
        }
        events.add(event("response.done", ""));
        return events;
    }

    private static String event(String type, String rest) {
        return "{\"type\":\"" + type + "\",\"event_id\":\"event_" + type.hashCode() + "\"" + rest + "}";
    }

    private static WebSocketConnectOptions connectTo(String uri) {
        return new WebSocketConnectOptions()
                .setHost("127.0.0.1")
                .setPort(proxy.port())
                .setURI(uri);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** A connected client that queues every text and binary message it receives. */
    private record Session(WebSocket ws, BlockingQueue<Object> messages, CompletableFuture<String> closed) {
        static Session open(WebSocketConnectOptions options) throws Exception {
            BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
            CompletableFuture<String> closed = new CompletableFuture<>();
            // Handlers set before connecting: an upstream may speak first (Realtime's session.created).
            ClientWebSocket ws = client.webSocket();
            ws.textMessageHandler(messages::add);
            ws.binaryMessageHandler(messages::add);
            ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
            return new Session(await(ws.connect(options)), messages, closed);
        }

        Object next() throws InterruptedException {
            Object message = messages.poll(20, TimeUnit.SECONDS);
            assertThat(message).as("a message within 20 s").isNotNull();
            return message;
        }
    }

    @Test
    void relaysTextAndBinaryFramesAndMebibyteMessagesBothWays() throws Exception {
        Session session = Session.open(connectTo("/ws/echo?id=frames"));
        byte[] big = new byte[MIB];
        new Random(7).nextBytes(big);
        String bigText = "x".repeat(MIB);

        await(session.ws().writeTextMessage("hello"));
        assertThat(session.next()).isEqualTo("hello");
        await(session.ws().writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3})));
        assertThat(session.next()).isEqualTo(Buffer.buffer(new byte[] {1, 2, 3}));
        await(session.ws().writeBinaryMessage(Buffer.buffer(big)));
        assertThat(((Buffer) session.next()).getBytes()).isEqualTo(big);
        await(session.ws().writeTextMessage(bigText));
        assertThat(session.next()).isEqualTo(bigText);

        await(session.ws().close((short) 1000, "done"));
        assertThat(upstreamClosed.get("frames").get(20, TimeUnit.SECONDS)).isEqualTo("1000 done");
    }

    @Test
    void passesTheClientsCloseCodeAndReasonToTheUpstream() throws Exception {
        Session session = Session.open(connectTo("/ws/echo?id=client-close"));
        await(session.ws().writeTextMessage("ping"));
        assertThat(session.next()).isEqualTo("ping");

        await(session.ws().close((short) 4000, "client leaves"));

        assertThat(upstreamClosed
                        .computeIfAbsent("client-close", k -> new CompletableFuture<>())
                        .get(20, TimeUnit.SECONDS))
                .isEqualTo("4000 client leaves");
    }

    @Test
    void passesTheUpstreamsCloseCodeAndReasonToTheClient() throws Exception {
        Session session = Session.open(connectTo("/ws/echo?id=upstream-close"));

        await(session.ws().writeTextMessage("close 4001 upstream leaves"));

        assertThat(session.closed().get(20, TimeUnit.SECONDS)).isEqualTo("4001 upstream leaves");
        Double opened = BadInputIT.Metrics.value(proxy, "breakwater_websocket_sessions_total");
        assertThat(opened).isNotNull().isPositive();
    }

    @Test
    void retriesAHandshakeAnswered503() throws Exception {
        Session session = Session.open(connectTo("/ws/flaky"));

        await(session.ws().writeTextMessage("after a retry"));
        assertThat(session.next()).isEqualTo("after a retry");
        assertThat(flakyHandshakes).hasValue(2);
        await(session.ws().close());
    }

    @Test
    void answersARefusedHandshakeWithTheUpstreamsStatusWithoutRetrying() {
        assertThatThrownBy(() -> await(client.connect(connectTo("/ws/auth"))))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(UpgradeRejectedException.class, rejected -> {
                    assertThat(rejected.getStatus()).isEqualTo(401);
                    assertThat(rejected.getHeaders().get("x-breakwater-attempts"))
                            .isEqualTo("1");
                    assertThat(rejected.getBody().toString()).contains("bad key");
                });
        assertThat(refusedHandshakes).hasValue(1);
    }

    @Test
    void relaysTheRealtimeEventFlowUnchanged() throws Exception {
        WebSocketConnectOptions options = connectTo("/v1/realtime?model=gpt-realtime")
                .setHeaders(MultiMap.caseInsensitiveMultiMap()
                        .add("authorization", "Bearer sk-test")
                        .add("openai-beta", "realtime=v1"))
                .setSubProtocols(List.of("realtime", "openai-beta.realtime-v1"));
        Session session = Session.open(options);
        assertThat(session.ws().subProtocol()).isEqualTo("realtime");
        assertThat(session.next()).isEqualTo(event("session.created", ""));

        await(session.ws().writeTextMessage("{\"type\":\"session.update\",\"session\":{\"modalities\":[\"text\"]}}"));

        List<Object> received = new ArrayList<>();
        for (int i = 0; i < realtimeScript.size(); i++) {
            received.add(session.next());
        }
        assertThat(received).containsExactlyElementsOf(realtimeScript);
        // Read on the way through, before the frame was passed on: the requests left, as for response headers.
        assertThat(Http.get(proxy.adminUri("/admin/routes")).body()).contains("\"remaining-capacity\":999");
        await(session.ws().close());
    }

    @Test
    void sendsTheRoutesCredentialInPlaceOfTheClientsSubprotocolKey() throws Exception {
        WebSocketConnectOptions options = connectTo("/keyed/check")
                .setHeaders(MultiMap.caseInsensitiveMultiMap().add("authorization", "Bearer sk-client"))
                .setSubProtocols(List.of("realtime", "openai-insecure-api-key.sk-client", "openai-beta.realtime-v1"));
        Session session = Session.open(options);

        MultiMap seen = keyedHandshake.get(20, TimeUnit.SECONDS);
        assertThat(seen.getAll("authorization")).containsExactly("Bearer sk-route");
        assertThat(seen.getAll("sec-websocket-protocol")).containsExactly("realtime,openai-beta.realtime-v1");
        assertThat(seen.getAll("sec-websocket-key")).hasSize(1);
        assertThat(seen.get("x-request-id")).isNotBlank();
        assertThat(seen.toString()).doesNotContain("sk-client");
        assertThat(session.ws().subProtocol()).isEqualTo("realtime");
        await(session.ws().close());
    }

    @Test
    void closesBothSidesAfterTheIdleTimeout() throws Exception {
        long start = System.nanoTime();
        Session session = Session.open(connectTo("/quiet/silent?id=idle"));

        String clientSaw = session.closed().get(20, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(clientSaw).startsWith("1001 Breakwater: no frame either way");
        assertThat(upstreamClosed.get("idle").get(20, TimeUnit.SECONDS)).startsWith("1001 ");
        assertThat(millis).isGreaterThanOrEqualTo(250).isLessThan(5_000);
        assertThat(Http.get(proxy.adminUri("/metrics")).body())
                .contains("breakwater_websocket_closes_total{by=\"idle_timeout\",route=\"quiet\"}");
    }
}
