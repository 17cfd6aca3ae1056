package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming through the running proxy against a scripted Vert.x upstream: SSE pacing, cuts, stalls, cancels. */
class StreamingIT {
    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestProxy proxy;

    private static final CompletableFuture<Void> clientSawFirstEvent = new CompletableFuture<>();
    private static final AtomicBoolean secondSentBeforeFirstSeen = new AtomicBoolean();
    private static final AtomicLong endlessClosedAtNanos = new AtomicLong();
    private static final AtomicLong endlessStarted = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(request -> {
                    HttpServerResponse response = request.response();
                    switch (request.path()) {
                        case "/sse/stepwise" -> {
                            sseHead(response).write("data: one\n\n");
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                            vertx.setPeriodic(10, id -> {
                                if (clientSawFirstEvent.isDone() || System.nanoTime() > deadline) {
                                    vertx.cancelTimer(id);
                                    secondSentBeforeFirstSeen.set(!clientSawFirstEvent.isDone());
                                    response.end("data: two\n\n");
                                }
                            });
                        }
                        case "/sse/cut" -> {
                            sseHead(response).write("data: one\n\n");
                            vertx.setTimer(50, id -> request.connection().close());
                        }
                        case "/sse/stall" -> sseHead(response).write("data: one\n\n");
                        case "/sse/endless" -> {
                            endlessStarted.incrementAndGet();
                            sseHead(response).write("data: tick\n\n");
                            long timer = vertx.setPeriodic(100, id -> response.write("data: tick\n\n"));
                            request.connection().closeHandler(v -> {
                                vertx.cancelTimer(timer);
                                endlessClosedAtNanos.set(System.nanoTime());
                            });
                        }
                        case "/plain/cut" -> {
                            response.putHeader("content-length", "100").write("0123456789");
                            vertx.setTimer(50, id -> request.connection().close());
                        }
                        default -> response.setStatusCode(404).end();
                    }
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        proxy = TestProxy.start(Routes.oneRoute(
                "stream", "/", "http://127.0.0.1:" + upstream.actualPort(), "    timeouts: {idle: 400ms}"));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpServerResponse sseHead(HttpServerResponse response) {
        return response.setChunked(true).putHeader("content-type", "text/event-stream");
    }

    @Test
    void relaysEachEventBeforeTheUpstreamSendsTheNext() throws Exception {
        HttpResponse<Stream<String>> response = Http.client()
                .send(
                        HttpRequest.newBuilder(proxy.uri("/sse/stepwise"))
                                .timeout(Duration.ofSeconds(20))
                                .build(),
                        HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        Iterator<String> lines = response.body().iterator();

        assertThat(lines.next()).isEqualTo("data: one");
        clientSawFirstEvent.complete(null);
        assertThat(lines.next()).isEmpty();
        assertThat(lines.next()).isEqualTo("data: two");

        assertThat(secondSentBeforeFirstSeen).isFalse();
    }

    @Test
    void endsACutStreamWithAnErrorEvent() throws Exception {
        HttpResponse<String> response = Http.get(proxy.uri("/sse/cut"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body())
                .startsWith("data: one\n\n")
                .contains("\"code\":\"upstream_interrupted\"")
                .endsWith("}}\n\n");
    }

    @Test
    void endsAStalledStreamWithAnErrorEventAfterTheIdleTimeout() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = Http.get(proxy.uri("/sse/stall"));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.body()).startsWith("data: one\n\n").contains("\"code\":\"upstream_interrupted\"");
        assertThat(millis).isGreaterThanOrEqualTo(350).isLessThan(3_000);
    }

    @Test
    void resetsTheClientWhenAPlainBodyIsCut() {
        assertThatThrownBy(() -> Http.get(proxy.uri("/plain/cut"))).isInstanceOf(IOException.class);
    }

    @Test
    void closesTheUpstreamWithinASecondOfTheClientLeaving() throws Exception {
        long before = endlessStarted.get();
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /sse/endless HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.contains("data: tick"));
            assertThat(line).isNotNull();
            assertThat(endlessStarted.get()).isEqualTo(before + 1);
        }
        long closedAt = System.nanoTime();

        await().atMost(Duration.ofSeconds(1)).until(() -> endlessClosedAtNanos.get() != 0);
        assertThat(endlessClosedAtNanos.get() - closedAt).isLessThan(TimeUnit.SECONDS.toNanos(1));
    }
}
