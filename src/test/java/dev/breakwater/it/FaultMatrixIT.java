package dev.breakwater.it;

import static dev.breakwater.testing.ScriptedUpstream.ok;
import static dev.breakwater.testing.ScriptedUpstream.response;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.RawClient;
import dev.breakwater.testing.RawClient.Response;
import dev.breakwater.testing.ScriptedUpstream;
import dev.breakwater.testing.ScriptedUpstream.Recorded;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Upstream faults at the byte level, one by one: for each, what status and {@code x-breakwater-attempts} the client
 * gets, how many requests the upstream read, and that the answer came within the configured timeouts plus slack.
 */
@Timeout(value = 40, unit = TimeUnit.SECONDS)
class FaultMatrixIT {
    private static final Duration READ = Duration.ofSeconds(6);
    /** Allowance for scheduling on a loaded two-core machine. */
    private static final long SLACK_MS = 1_500;

    /** One route {@code f} at {@code /f/} to {@code upstream}, 3 attempts, 10 ms waits, no breaker; {@code extra} under it. */
    private static String config(ScriptedUpstream upstream, String... extra) {
        StringBuilder yaml = new StringBuilder("""
                shutdown-grace: 0s
                defaults:
                  timeouts: {connect: 1s, response: 1s, idle: 1s, total: 5s}
                  retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0}
                  circuit-breaker: {enabled: false}
                routes:
                  - name: f
                    path-prefix: /f/
                    upstream: %s
                """.formatted(upstream.url()));
        for (String line : extra) {
            yaml.append(line).append('\n');
        }
        return yaml.toString();
    }

    private static String errorCode(String body) {
        try {
            return new JsonObject(body).getJsonObject("error").getString("code");
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    // ---- 1. keep-alive close race ----

    @Test
    void keepAliveCloseRaceNeverFailsOrDuplicatesPosts() throws Exception {
        try (ScriptedUpstream upstream =
                        ScriptedUpstream.always(ScriptedUpstream.respondThenClose(response(200, "ok"), 2));
                TestProxy proxy = TestProxy.start(config(upstream))) {
            Map<Integer, Integer> statuses = new HashMap<>();
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> answer =
                        Http.post(proxy.uri("/f/items"), "{\"n\":" + i + "}", "content-type", "application/json");
                statuses.merge(answer.statusCode(), 1, Integer::sum);
                assertThat(answer.headers().firstValue("x-breakwater-attempts")).isPresent();
            }

            assertThat(statuses).as("client statuses of 200 POSTs").isEqualTo(Map.of(200, 200));
            Map<String, Long> copies = countBy(upstream.requests(), Recorded::bodyText);
            assertThat(copies)
                    .as("upstream copies of each POST body")
                    .hasSize(200)
                    .allSatisfy((body, n) -> assertThat(n).as(body).isEqualTo(1L));
        }
    }

    @Test
    void keepAliveCloseRaceNeverFailsOrDuplicatesGets() throws Exception {
        try (ScriptedUpstream upstream =
                        ScriptedUpstream.always(ScriptedUpstream.respondThenClose(response(200, "ok"), 2));
                TestProxy proxy = TestProxy.start(config(upstream))) {
            Map<Integer, Integer> statuses = new HashMap<>();
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> answer = Http.get(proxy.uri("/f/items/" + i));
                statuses.merge(answer.statusCode(), 1, Integer::sum);
                assertThat(answer.headers().firstValue("x-breakwater-attempts")).isPresent();
            }

            assertThat(statuses).as("client statuses of 200 GETs").isEqualTo(Map.of(200, 200));
            Map<String, Long> copies = countBy(upstream.requests(), Recorded::path);
            assertThat(copies)
                    .as("upstream copies of each GET")
                    .hasSize(200)
                    .allSatisfy((path, n) -> assertThat(n).as(path).isEqualTo(1L));
        }
    }

    private static Map<String, Long> countBy(
            List<Recorded> requests, java.util.function.Function<Recorded, String> key) {
        Map<String, Long> counts = new HashMap<>();
        requests.forEach(r -> counts.merge(key.apply(r), 1L, Long::sum));
        return counts;
    }

    // ---- 2. reset before the response head ----

    @Test
    void resetBeforeHeadersIsRetriedForGet() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.start(
                        request -> request.number() == 0 ? ScriptedUpstream.reset() : ok("second time lucky"));
                TestProxy proxy = TestProxy.start(config(upstream))) {
            long start = System.nanoTime();
            HttpResponse<String> answer = Http.get(proxy.uri("/f/r"));

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("second time lucky");
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).hasValue("2");
            assertThat(upstream.requests()).hasSize(2);
            assertThat(millisSince(start)).isLessThanOrEqualTo(2 * 1_000 + SLACK_MS);
        }
    }

    @Test
    void resetBeforeHeadersOnAFreshConnectionIsNotRetriedForPostWithoutIdempotencyKey() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.reset());
                TestProxy proxy = TestProxy.start(config(upstream))) {
            long start = System.nanoTime();
            HttpResponse<String> answer =
                    Http.post(proxy.uri("/f/refund"), "{\"order\":1}", "content-type", "application/json");

            assertThat(answer.statusCode()).isEqualTo(502);
            assertThat(errorCode(answer.body())).isEqualTo("upstream_reset");
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).hasValue("1");
            assertThat(upstream.requests()).hasSize(1);
            assertThat(millisSince(start)).isLessThanOrEqualTo(1_000 + SLACK_MS);
        }
    }

    // ---- 3. and 4. the upstream breaks off after its head ----

    @Test
    void closeAfterHeadBeforeAnyBodyByteIsA502NotAnEmptyReply() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.headersThenClose(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"));
                TestProxy proxy = TestProxy.start(config(upstream));
                RawClient client = RawClient.connect(proxy.port())) {
            long start = System.nanoTime();
            Response answer =
                    client.exchange("POST /f/h HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 2\r\n\r\n{}", READ);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(502);
            assertThat(answer.errorCode()).isEqualTo("upstream_interrupted");
            assertThat(answer.header("x-breakwater-attempts")).isEqualTo("1");
            assertThat(upstream.requests()).hasSize(1);
            assertThat(millisSince(start)).isLessThanOrEqualTo(1_000 + SLACK_MS);
        }
    }

    private static final String HALF_BODY_HEAD =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n";

    @Test
    void halfABodyThenCloseIsVisiblyTruncatedForHttp11() throws Exception {
        try (ScriptedUpstream upstream =
                        ScriptedUpstream.always(ScriptedUpstream.partialBodyThenClose(HALF_BODY_HEAD, "x".repeat(50)));
                TestProxy proxy = TestProxy.start(config(upstream));
                RawClient client = RawClient.connect(proxy.port())) {
            long start = System.nanoTime();
            Response answer = client.exchange("GET /f/half HTTP/1.1\r\nHost: proxy.test\r\n\r\n", READ);

            if (answer.status() == 502) {
                assertThat(answer.errorCode()).isEqualTo("upstream_interrupted");
            } else {
                assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
                assertThat(answer.ending()).as("how the body ended").isIn(RawClient.Ending.EOF, RawClient.Ending.RESET);
                assertThat(answer.body().length).isLessThan(100);
            }
            assertThat(answer.header("x-breakwater-attempts")).isEqualTo("1");
            assertThat(upstream.requests()).hasSize(1);
            assertThat(millisSince(start)).isLessThanOrEqualTo(1_000 + SLACK_MS);
        }
    }

    @Test
    void halfABodyThenCloseIsNeverACleanEndForHttp10() throws Exception {
        try (ScriptedUpstream upstream =
                        ScriptedUpstream.always(ScriptedUpstream.partialBodyThenClose(HALF_BODY_HEAD, "x".repeat(50)));
                TestProxy proxy = TestProxy.start(config(upstream));
                RawClient client = RawClient.connect(proxy.port())) {
            long start = System.nanoTime();
            Response answer = client.exchange("GET /f/half HTTP/1.0\r\nHost: proxy.test\r\n\r\n", READ);

            boolean error = answer.status() == 502;
            boolean unfulfilledLength = answer.contentLength() > answer.body().length;
            boolean reset = answer.ending() == RawClient.Ending.RESET;
            assertThat(error || unfulfilledLength || reset)
                    .as("HTTP/1.0 client must be able to tell the body was cut: %s", answer)
                    .isTrue();
            assertThat(upstream.requests()).hasSize(1);
            assertThat(millisSince(start)).isLessThanOrEqualTo(1_000 + SLACK_MS);
        }
    }

    @Test
    void aCutChunkedBodyIsNeverACleanEndForAnHttp10Client() throws Exception {
        // No Content-Length upstream: the HTTP/1.0 client's body ends where the connection ends.
        String chunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
        try (ScriptedUpstream upstream =
                        ScriptedUpstream.always(ScriptedUpstream.partialBodyThenClose(chunkedHead, "6\r\nhello \r\n"));
                TestProxy proxy = TestProxy.start(config(upstream));
                RawClient client = RawClient.connect(proxy.port())) {
            Response answer = client.exchange("GET /f/cut HTTP/1.0\r\nHost: proxy.test\r\n\r\n", READ);

            boolean error = answer.status() == 502;
            boolean reset = answer.ending() == RawClient.Ending.RESET;
            assertThat(error || reset)
                    .as("the cut must show as an error or a reset, not EOF: %s", answer)
                    .isTrue();
        }
    }

    // ---- 5. and 6. protocol violations ----

    @Test
    void unsolicited101IsA502AndNeverRelayed() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.switchingProtocols());
                TestProxy proxy = TestProxy.start(config(upstream));
                RawClient client = RawClient.connect(proxy.port())) {
            long start = System.nanoTime();
            Response answer =
                    client.exchange("POST /f/u HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 2\r\n\r\n{}", READ);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(502);
            assertThat(answer.errorCode()).isEqualTo("upstream_protocol_error");
            assertThat(answer.header("x-breakwater-attempts")).isEqualTo("1");
            assertThat(upstream.requests()).hasSize(1);
            assertThat(millisSince(start)).isLessThanOrEqualTo(1_000 + SLACK_MS);
        }
    }

    @Test
    void malformedStatusLineIsA502() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.malformedStatusLine());
                TestProxy proxy = TestProxy.start(config(upstream));
                RawClient client = RawClient.connect(proxy.port())) {
            long start = System.nanoTime();
            Response answer =
                    client.exchange("POST /f/m HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 2\r\n\r\n{}", READ);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(502);
            assertThat(answer.errorCode()).as("a Breakwater error body").isNotNull();
            assertThat(answer.header("x-breakwater-attempts")).isEqualTo("1");
            assertThat(upstream.requests()).hasSize(1);
            assertThat(millisSince(start)).isLessThanOrEqualTo(1_000 + SLACK_MS);
        }
    }

    // ---- 7. stall before the head ----

    @Test
    void stallBeforeHeadersPastTheResponseTimeoutIsA504() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.stall(20_000));
                TestProxy proxy = TestProxy.start(config(upstream))) {
            long start = System.nanoTime();
            HttpResponse<String> answer = Http.get(proxy.uri("/f/slow"));

            assertThat(answer.statusCode()).isEqualTo(504);
            assertThat(errorCode(answer.body())).isEqualTo("upstream_timeout");
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).hasValue("3");
            assertThat(upstream.requests()).hasSize(3);
            assertThat(millisSince(start))
                    .as("3 x 1 s response timeout + 10/20 ms backoff")
                    .isLessThanOrEqualTo(3 * 1_000 + 30 + SLACK_MS);
        }
    }

    // ---- 8. streamed upload meets the response timeout ----

    @Test
    void streamedUploadThatTimesOutGets504WithoutAnIllegalStateError() throws Exception {
        try (LogCapture logs = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME);
                ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.stall(20_000));
                TestProxy proxy = TestProxy.start(
                        config(upstream, "    retry: {max-replay-body: 1KiB}", "    timeouts: {response: 500ms}"))) {
            long start = System.nanoTime();
            HttpResponse<String> answer = Http.send(HttpRequest.newBuilder(proxy.uri("/f/upload"))
                    .timeout(Duration.ofSeconds(10))
                    .header("content-type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[64 * 1024]))
                    .build());

            assertThat(answer.statusCode()).isEqualTo(504);
            assertThat(errorCode(answer.body())).isEqualTo("upstream_timeout");
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).hasValue("1");
            assertThat(millisSince(start)).isLessThanOrEqualTo(500 + SLACK_MS);
            assertThat(upstream.requests()).hasSize(1);
            assertThat(upstream.requests().get(0).body()).hasSize(64 * 1024);
            await().during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(logs.errorLines())
                            .noneMatch(line -> line.contains("IllegalStateException")
                                    || line.contains("Request already complete")));
        }
    }

    @Test
    void uploadStillStreamingWhenTheResponseTimeoutFiresGets504WithoutAnIllegalStateError() throws Exception {
        int total = 64 * 1024;
        int chunk = 4 * 1024;
        java.util.concurrent.ScheduledExecutorService writer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try (LogCapture logs = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME);
                ScriptedUpstream upstream = ScriptedUpstream.always(ScriptedUpstream.stall(20_000));
                TestProxy proxy = TestProxy.start(
                        config(upstream, "    retry: {max-replay-body: 1KiB}", "    timeouts: {response: 500ms}"));
                RawClient client = RawClient.connect(proxy.port())) {
            long start = System.nanoTime();
            // the rest of the body trickles in over ~750 ms, past the 500 ms response timeout
            java.util.concurrent.atomic.AtomicInteger sent = trickleUpload(client, writer, total, chunk, 50);
            Response answer = client.readFinalResponse(READ);

            assertThat(answer.status()).as(answer.toString()).isEqualTo(504);
            assertThat(answer.errorCode()).isEqualTo("upstream_timeout");
            assertThat(answer.header("x-breakwater-attempts")).isEqualTo("1");
            assertThat(millisSince(start)).isLessThanOrEqualTo(500 + SLACK_MS);
            assertThat(upstream.requests())
                    .as("not replayable: one attempt at most")
                    .hasSizeLessThanOrEqualTo(1);
            await().atMost(Duration.ofSeconds(3)).until(() -> sent.get() >= total);
            await().during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(logs.errorLines())
                            .noneMatch(line -> line.contains("IllegalStateException")
                                    || line.contains("Request already complete")));
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void uploadStillStreamingWhenTheUpstreamResetsGets502WithoutAnIllegalStateError() throws Exception {
        int total = 256 * 1024;
        int chunk = 8 * 1024;
        java.util.concurrent.ScheduledExecutorService writer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        // An upstream that resets every connection as soon as a request head arrives, body still on its way.
        try (java.net.ServerSocket resetting =
                        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                LogCapture logs = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            Thread acceptor = new Thread(() -> {
                while (!resetting.isClosed()) {
                    try (java.net.Socket socket = resetting.accept()) {
                        java.io.InputStream in = socket.getInputStream();
                        int matched = 0;
                        while (matched < 4) {
                            int b = in.read();
                            if (b < 0) {
                                break;
                            }
                            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                        }
                        socket.setSoLinger(true, 0);
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            try (TestProxy proxy = TestProxy.start("""
                    routes:
                      - name: f
                        path-prefix: /f/
                        upstream: http://127.0.0.1:%d
                        timeouts: {connect: 1s, response: 2s, idle: 1s, total: 5s}
                        retry: {max-replay-body: 1KiB}
                    """.formatted(resetting.getLocalPort()));
                    RawClient client = RawClient.connect(proxy.port())) {
                java.util.concurrent.atomic.AtomicInteger sent = trickleUpload(client, writer, total, chunk, 20);
                Response answer = client.readFinalResponse(READ);

                assertThat(answer.status()).as(answer.toString()).isEqualTo(502);
                assertThat(answer.header("x-breakwater-attempts")).isEqualTo("1");
                await().atMost(Duration.ofSeconds(5)).until(() -> sent.get() >= total);
                await().during(Duration.ofMillis(500))
                        .atMost(Duration.ofSeconds(2))
                        .untilAsserted(() -> assertThat(logs.errorLines())
                                .noneMatch(line -> line.contains("IllegalStateException")
                                        || line.contains("Request already complete")));
            }
        } finally {
            writer.shutdownNow();
        }
    }

    /**
     * Sends the head and first chunk of a {@code total}-byte upload, then one chunk every {@code periodMillis}.
     *
     * @return the bytes sent so far, growing until {@code total}
     */
    private static java.util.concurrent.atomic.AtomicInteger trickleUpload(
            RawClient client,
            java.util.concurrent.ScheduledExecutorService writer,
            int total,
            int chunk,
            long periodMillis) {
        client.send("POST /f/upload HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + total + "\r\n\r\n" + "u".repeat(chunk));
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger(chunk);
        writer.scheduleAtFixedRate(
                () -> {
                    if (sent.get() < total) {
                        client.send("u".repeat(chunk));
                        sent.addAndGet(chunk);
                    }
                },
                periodMillis,
                periodMillis,
                TimeUnit.MILLISECONDS);
        return sent;
    }

    // ---- 9. held requests behind an open breaker ----

    private static String gateConfig(ScriptedUpstream upstream, String total) {
        return """
                shutdown-grace: 0s
                defaults:
                  timeouts: {connect: 1s, response: 2s, idle: 1s, total: %s}
                  retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0, max-retry-after: 60s}
                routes:
                  - name: g
                    path-prefix: /g/
                    upstream: %s
                """.formatted(total, upstream.url());
    }

    private static ScriptedUpstream.Action rateLimited(int retryAfterSeconds) {
        return ScriptedUpstream.respond(response(
                429,
                "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
                "retry-after: " + retryAfterSeconds));
    }

    /** Closes the gate with one 429, forces the breaker open, then holds 40 GETs; returns when each was answered. */
    private static void assertHeldRequestsDrainAtOnce(int retryAfterSeconds, String total) throws Exception {
        try (LogCapture retries = LogCapture.of("breakwater.retry");
                ScriptedUpstream upstream = ScriptedUpstream.always(rateLimited(retryAfterSeconds));
                TestProxy proxy = TestProxy.start(gateConfig(upstream, total))) {
            CompletableFuture<HttpResponse<String>> first = Http.client()
                    .sendAsync(
                            HttpRequest.newBuilder(proxy.uri("/g/first"))
                                    .timeout(Duration.ofSeconds(4))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(3)).until(() -> !retries.lines().isEmpty());
            HttpResponse<String> forced =
                    Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/routes/g/circuit-breaker/open"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build());
            assertThat(forced.statusCode()).isEqualTo(200);

            long start = System.nanoTime();
            List<CompletableFuture<Long>> answeredAfterMillis = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                CompletableFuture<HttpResponse<String>> answer = Http.client()
                        .sendAsync(
                                HttpRequest.newBuilder(proxy.uri("/g/held/" + i))
                                        .timeout(Duration.ofSeconds(5))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                answers.add(answer);
                answeredAfterMillis.add(answer.handle((r, e) -> millisSince(start)));
            }
            List<Long> millis =
                    answeredAfterMillis.stream().map(CompletableFuture::join).toList();

            assertThat(millis).as("ms until each held GET was answered").allMatch(ms -> ms <= 2_000 + 500);
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.join();
                assertThat(response.statusCode() + " " + errorCode(response.body()))
                        .isIn("503 circuit_open", "429 rate_limited");
            }
            assertThat(upstream.requests())
                    .as("only the first request reached the upstream")
                    .hasSize(1);
            first.handle((r, e) -> null).join();
        }
    }

    @Test
    void heldRequestsAreAllAnsweredPromptlyWhenTheGateReopensOntoAnOpenBreaker() throws Exception {
        assertHeldRequestsDrainAtOnce(1, "10s");
    }

    @Test
    void heldRequestsAreNotParkedBehindALongGateWhileTheBreakerIsOpen() throws Exception {
        assertHeldRequestsDrainAtOnce(30, "60s");
    }
}
