package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code POST /refund} story through the running proxy: a tool that must never run twice, behind a route that
 * keeps requests by {@code Idempotency-Key} (on by default, since the route does not retry POST).
 */
class IdempotencyIT {
    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestProxy proxy;
    /** Refunds the tool made, and refunds it finished answering. */
    private static final AtomicInteger refunds = new AtomicInteger();

    private static final AtomicInteger answered = new AtomicInteger();
    /** Statuses the tool answers with, in turn; 200 once they are used up. */
    private static final java.util.Queue<Integer> statuses = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    int n = refunds.incrementAndGet();
                    Integer status = statuses.poll();
                    long delay = Long.parseLong(
                            request.getHeader("x-tool-millis") == null ? "1" : request.getHeader("x-tool-millis"));
                    vertx.setTimer(delay, id -> {
                        request.response()
                                .setStatusCode(status == null ? 200 : status)
                                .putHeader("content-type", "application/json")
                                .putHeader("x-refund-id", "r_" + n)
                                .end(new JsonObject()
                                        .put("refund", "r_" + n)
                                        .put("amount", new JsonObject(body).getInteger("amount"))
                                        .encode());
                        answered.incrementAndGet();
                    });
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        proxy = TestProxy.start("""
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0}
                routes:
                  - name: tools
                    path-prefix: /tools/
                    strip-prefix: true
                    upstream: http://127.0.0.1:%1$d
                  - name: waiting
                    path-prefix: /waiting/
                    strip-prefix: true
                    upstream: http://127.0.0.1:%1$d
                    idempotency: {wait-for-first: true}
                """.formatted(upstream.actualPort()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpRequest refund(String prefix, String key, int amount, long toolMillis) {
        return HttpRequest.newBuilder(proxy.uri(prefix + "refund"))
                .timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json")
                .header("authorization", "Bearer sk-agent")
                .header("idempotency-key", key)
                .header("x-tool-millis", Long.toString(toolMillis))
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":" + amount + "}"))
                .build();
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
        return Http.client().sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDuplicateWhileTheFirstRunsGets409AndTheToolRunsOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        int before = refunds.get();
        CompletableFuture<HttpResponse<String>> first = sendAsync(refund("/tools/", key, 10, 1_000));
        await().atMost(Duration.ofSeconds(5)).until(() -> refunds.get() == before + 1);

        HttpResponse<String> duplicate = Http.send(refund("/tools/", key, 10, 1_000));

        assertThat(duplicate.statusCode()).isEqualTo(409);
        assertThat(duplicate.headers().firstValue("retry-after")).isPresent();
        assertThat(new JsonObject(duplicate.body()).getJsonObject("error").getString("code"))
                .isEqualTo("idempotency_key_in_use");
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(refunds.get()).isEqualTo(before + 1);
    }

    @Test
    void aDuplicateAfterTheFirstFinishedGetsItsStoredResponseWithoutAToolCall() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = Http.send(refund("/tools/", key, 25, 1));
        int after = refunds.get();

        HttpResponse<String> duplicate = Http.send(refund("/tools/", key, 25, 1));

        assertThat(duplicate.statusCode()).isEqualTo(200);
        assertThat(duplicate.body()).isEqualTo(first.body());
        assertThat(duplicate.headers().firstValue("x-breakwater-replayed")).hasValue("true");
        assertThat(duplicate.headers().firstValue("x-refund-id"))
                .isEqualTo(first.headers().firstValue("x-refund-id"));
        assertThat(duplicate.headers().firstValue("x-request-id"))
                .isNotEqualTo(first.headers().firstValue("x-request-id"));
        assertThat(first.headers().firstValue("x-breakwater-replayed")).isEmpty();
        assertThat(refunds.get()).isEqualTo(after);
    }

    @Test
    void theSameKeyWithAnotherBodyIs422() throws Exception {
        String key = UUID.randomUUID().toString();
        Http.send(refund("/tools/", key, 10, 1));
        int after = refunds.get();

        HttpResponse<String> reused = Http.send(refund("/tools/", key, 99, 1));

        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(new JsonObject(reused.body()).getJsonObject("error").getString("code"))
                .isEqualTo("idempotency_key_reused");
        assertThat(refunds.get()).isEqualTo(after);
    }

    @Test
    void inWaitModeADuplicateGetsTheFirstsResponse() throws Exception {
        String key = UUID.randomUUID().toString();
        int before = refunds.get();
        CompletableFuture<HttpResponse<String>> first = sendAsync(refund("/waiting/", key, 10, 1_000));
        await().atMost(Duration.ofSeconds(5)).until(() -> refunds.get() == before + 1);

        HttpResponse<String> duplicate = Http.send(refund("/waiting/", key, 10, 1_000));

        assertThat(duplicate.statusCode()).isEqualTo(200);
        assertThat(duplicate.body()).isEqualTo(first.get(10, TimeUnit.SECONDS).body());
        assertThat(duplicate.headers().firstValue("x-breakwater-replayed")).hasValue("true");
        assertThat(refunds.get()).isEqualTo(before + 1);
    }

    @Test
    void anAgentThatTimesOutAndRetriesGetsTheRefundMadeOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        int before = refunds.get();
        int answeredBefore = answered.get();
        String body = "{\"amount\":40}";
        // The agent sends the refund, gives up waiting after the tool started, and closes its connection.
        try (Socket agent = new Socket("127.0.0.1", proxy.port())) {
            OutputStream out = agent.getOutputStream();
            out.write(("POST /tools/refund HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Authorization: Bearer sk-agent\r\nIdempotency-Key: " + key + "\r\nX-Tool-Millis: 500\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> refunds.get() == before + 1);
        }
        // Breakwater lets the call finish and keeps its answer for the agent's retry.
        await().atMost(Duration.ofSeconds(5)).until(() -> answered.get() == answeredBefore + 1);

        HttpResponse<String> retry = await().atMost(Duration.ofSeconds(5))
                .until(() -> Http.send(refund("/tools/", key, 40, 500)), r -> r.statusCode() != 409);

        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.headers().firstValue("x-breakwater-replayed")).hasValue("true");
        assertThat(new JsonObject(retry.body()).getString("refund")).isEqualTo("r_" + (before + 1));
        assertThat(refunds.get()).isEqualTo(before + 1);
    }

    @Test
    void aFailureRetryingMayFixIsNotKeptSoTheClientsRetryGoesUpstream() throws Exception {
        String key = UUID.randomUUID().toString();
        // Breakwater retries a 503 itself (the key makes the POST safe to repeat): three make it give up.
        statuses.addAll(java.util.List.of(503, 503, 503));
        int before = refunds.get();

        HttpResponse<String> first = Http.send(refund("/tools/", key, 5, 1));
        HttpResponse<String> retry = Http.send(refund("/tools/", key, 5, 1));

        assertThat(first.statusCode()).isEqualTo(503);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.headers().firstValue("x-breakwater-replayed")).isEmpty();
        assertThat(refunds.get()).isEqualTo(before + 4);
    }

    @Test
    void withoutAKeyNothingIsRecorded() throws IOException, InterruptedException {
        int before = refunds.get();
        HttpRequest plain = HttpRequest.newBuilder(proxy.uri("/tools/refund"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1}"))
                .build();

        Http.send(plain);
        Http.send(plain);

        assertThat(refunds.get()).isEqualTo(before + 2);
    }
}
