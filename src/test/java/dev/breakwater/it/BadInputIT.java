package dev.breakwater.it;

import static dev.breakwater.testing.ScriptedUpstream.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.RawClient;
import dev.breakwater.testing.RawClient.Fate;
import dev.breakwater.testing.RawClient.Response;
import dev.breakwater.testing.ScriptedUpstream;
import dev.breakwater.testing.ScriptedUpstream.Recorded;
import dev.breakwater.testing.TestProxy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile and malformed input on the proxy listener, sent as raw bytes: what the client gets back, and that the
 * upstream received nothing it should not have. Every test starts its own upstream and proxy.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BadInputIT {
    private static final Duration READ = Duration.ofSeconds(3);

    /**
     * Two routes on {@code upstream}: {@code /t/} to base path {@code /base} with strip-prefix, and {@code /v1/}
     * adding {@code authorization: Bearer SECRET}. {@code limits} is the flow map of the {@code limits} section or
     * null; {@code tRouteLines} are added under route {@code t}.
     */
    private static String config(ScriptedUpstream upstream, String limits, String... tRouteLines) {
        StringBuilder yaml = new StringBuilder();
        if (limits != null) {
            yaml.append("limits: ").append(limits).append('\n');
        }
        yaml.append("""
                shutdown-grace: 0s
                defaults:
                  timeouts: {connect: 1s, response: 1s, idle: 1s, total: 5s}
                  retry: {max-attempts: 2, wait-duration: 10ms, randomized-wait-factor: 0}
                  circuit-breaker: {enabled: false}
                routes:
                  - name: t
                    path-prefix: /t/
                    upstream: %s
                    strip-prefix: true
                """.formatted(upstream.url("/base")));
        for (String line : tRouteLines) {
            yaml.append(line).append('\n');
        }
        yaml.append("""
                  - name: v1
                    path-prefix: /v1/
                    upstream: %s
                    headers: {authorization: "Bearer SECRET"}
                """.formatted(upstream.url()));
        return yaml.toString();
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: proxy.test\r\n\r\n";
    }

    private static String statusAndCode(Response response) {
        return response.status() + " " + response.errorCode();
    }

    // ---- 1. path traversal ----

    @Test
    void traversalNeverLeavesTheRoutePrefix() throws Exception {
        List<String> attempts = List.of(
                "/t/../admin",
                "/t/..%2fadmin",
                "/t/..%2Fadmin",
                "/t/%2e%2e/admin",
                "/t/%2E%2E/admin",
                "/t/%2e%2e%2fadmin",
                "/t/.%2e/admin",
                "/t/./../admin",
                "/t/a/../../admin",
                "/t/..\\admin",
                "/t/..%5cadmin",
                "/t/..;/admin",
                "/v1/../admin/secret",
                "/v1/%2e%2e/admin/secret");
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null))) {
            SoftAssertions soft = new SoftAssertions();
            for (String path : attempts) {
                try (RawClient client = RawClient.connect(proxy.port())) {
                    Response response = client.exchange(get(path), READ);
                    soft.assertThat(statusAndCode(response))
                            .as("client answer for %s: %s", path, response)
                            .isIn("400 invalid_path", "404 no_route");
                }
            }
            for (Recorded request : upstream.requests()) {
                soft.assertThat(request.path())
                        .as("forwarded path")
                        .matches(p -> p.startsWith("/base/") || p.startsWith("/v1/"), "starts with /base/ or /v1/");
                soft.assertThat(request.path()).as("forwarded path").doesNotContainIgnoringCase("admin");
                if (request.header("authorization") != null) {
                    soft.assertThat(request.path())
                            .as("path that got the route's SECRET")
                            .startsWith("/v1/");
                }
            }
            soft.assertThat(upstream.requests())
                    .extracting(Recorded::path)
                    .as("requests the upstream received")
                    .isEmpty();
            soft.assertAll();
        }
    }

    @Test
    void dotSegmentsInsideThePrefixAreResolvedAndForwarded() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            Response response = client.exchange(get("/t/a/./b/../c"), READ);

            assertThat(response.status()).as(response.toString()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("upstream");
            assertThat(upstream.requests()).extracting(Recorded::path).containsExactly("/base/a/c");
        }
    }

    // ---- 2. Host and header syntax ----

    @Test
    void http11RequestWithoutHostIsRejected() throws Exception {
        assertRejectedAsInvalidRequest("GET /t/x HTTP/1.1\r\nAccept: */*\r\n\r\n");
    }

    @Test
    void requestWithTwoHostHeadersIsRejected() throws Exception {
        assertRejectedAsInvalidRequest("GET /t/x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
    }

    private static void assertRejectedAsInvalidRequest(String raw) throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            Response response = client.exchange(raw, READ);

            assertThat(statusAndCode(response)).as(response.toString()).isEqualTo("400 invalid_request");
            assertThat(upstream.requests()).isEmpty();
        }
    }

    @Test
    void obsFoldedHeaderIsRejectedOrTheConnectionClosed() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            Response response =
                    client.exchange("GET /t/x HTTP/1.1\r\nHost: a.test\r\n b.test\r\nAccept: */*\r\n\r\n", READ);

            if (response.status() == -1) {
                assertThat(response.ending())
                        .as("no answer: the connection must be closed")
                        .isIn(RawClient.Ending.EOF, RawClient.Ending.RESET);
            } else {
                assertThat(response.status()).as(response.toString()).isEqualTo(400);
                if (response.errorCode() != null) {
                    assertThat(response.errorCode()).isEqualTo("invalid_request");
                }
            }
            assertThat(upstream.requests()).isEmpty();
            assertThat(upstream.connectionCount()).isZero();
        }
    }

    // ---- 3. methods ----

    @Test
    void traceIsRefusedWith405() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            Response response = client.exchange("TRACE /t/x HTTP/1.1\r\nHost: proxy.test\r\n\r\n", READ);

            assertThat(statusAndCode(response)).as(response.toString()).isEqualTo("405 method_not_allowed");
            assertThat(upstream.requests()).isEmpty();
        }
    }

    @Test
    void connectIsRefusedAndARequestPipelinedBehindItIsNotProxied() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            client.send(
                    "CONNECT internal.test:443 HTTP/1.1\r\nHost: internal.test:443\r\n\r\n" + get("/t/after-connect"));
            Response response = client.readFinalResponse(READ);

            assertThat(statusAndCode(response)).as(response.toString()).isEqualTo("405 method_not_allowed");
            assertThat(client.awaitClose(READ)).as("connection after the 405").isIn(Fate.CLOSED, Fate.RESET);
            assertThat(upstream.requests()).extracting(Recorded::path).isEmpty();
        }
    }

    // ---- 4. Expect ----

    @Test
    void unknownExpectationGets417() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            Response response = client.exchange(
                    "POST /t/e HTTP/1.1\r\nHost: proxy.test\r\nExpect: something-else\r\n"
                            + "Content-Length: 5\r\n\r\nhello",
                    READ);

            assertThat(statusAndCode(response)).as(response.toString()).isEqualTo("417 expectation_failed");
            assertThat(upstream.requests()).isEmpty();
        }
    }

    @Test
    void expect100ContinueStillWorks() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            client.send("POST /t/e HTTP/1.1\r\nHost: proxy.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            Response interim = client.readResponse(READ);
            assertThat(interim.status()).as(interim.toString()).isEqualTo(100);
            client.send("hello");
            Response response = client.readFinalResponse(READ);

            assertThat(response.status()).as(response.toString()).isEqualTo(200);
            assertThat(upstream.requests()).extracting(Recorded::bodyText).containsExactly("hello");
        }
    }

    // ---- 5. request smuggling ----

    @Test
    void conflictingFramingNeverSmugglesASecondRequest() throws Exception {
        String smuggled = "GET /t/smuggled HTTP/1.1\r\nHost: proxy.test\r\n\r\n";
        String chunkedThenSmuggled = "0\r\n\r\n" + smuggled;
        List<String> variants = List.of(
                // CL covers everything; chunked ends early and leaves the smuggled request behind
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: " + chunkedThenSmuggled.length()
                        + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedThenSmuggled,
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                        + chunkedThenSmuggled.length() + "\r\n\r\n" + chunkedThenSmuggled,
                // two different Content-Length values: the first ends the body before the smuggled request
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 5\r\nContent-Length: "
                        + (5 + smuggled.length()) + "\r\n\r\nhello" + smuggled,
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: " + (5 + smuggled.length())
                        + "\r\nContent-Length: 5\r\n\r\nhello" + smuggled,
                // transfer codings that are not (only) chunked
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: " + chunkedThenSmuggled.length()
                        + "\r\nTransfer-Encoding: xchunked\r\n\r\n" + chunkedThenSmuggled,
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: " + chunkedThenSmuggled.length()
                        + "\r\nTransfer-Encoding: chunked, identity\r\n\r\n" + chunkedThenSmuggled,
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: " + chunkedThenSmuggled.length()
                        + "\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + chunkedThenSmuggled,
                "POST /t/a HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: " + chunkedThenSmuggled.length()
                        + "\r\nTransfer-Encoding : chunked\r\n\r\n" + chunkedThenSmuggled);
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < variants.size(); i++) {
            try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream-answer"));
                    TestProxy proxy = TestProxy.start(config(upstream, null));
                    RawClient client = RawClient.connect(proxy.port())) {
                client.send(variants.get(i));
                Response first = client.readFinalResponse(READ);
                String rest = client.readAvailable(Duration.ofMillis(500));

                soft.assertThat(first.status() == 400
                                || (first.status() == 200 && first.bodyText().equals("upstream-answer")))
                        .as("variant %d: a 400 or the upstream's one answer, got %s", i, first)
                        .isTrue();
                soft.assertThat(rest)
                        .as("variant %d: bytes after the first response", i)
                        .doesNotContain("HTTP/1.");
                soft.assertThat(upstream.requests())
                        .as("variant %d: upstream requests", i)
                        .hasSizeLessThanOrEqualTo(1);
                soft.assertThat(upstream.requests())
                        .extracting(Recorded::path)
                        .as("variant %d", i)
                        .noneMatch(path -> path.contains("smuggled"));
            }
        }
        soft.assertAll();
    }

    // ---- 6. oversized request parts ----

    @Test
    void oversizedRequestLineIsRefused() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            client.send(get("/t/" + "a".repeat(64 * 1024)));
            Response response = client.readFinalResponse(READ);

            assertRefusedOrClosed(response, 414);
            assertThat(upstream.requests()).isEmpty();
        }
    }

    @Test
    void oversizedHeadersAreRefused() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, null));
                RawClient client = RawClient.connect(proxy.port())) {
            client.send("GET /t/x HTTP/1.1\r\nHost: proxy.test\r\nX-Big: " + "b".repeat(64 * 1024) + "\r\n\r\n");
            Response response = client.readFinalResponse(READ);

            assertRefusedOrClosed(response, 431);
            assertThat(upstream.requests()).isEmpty();
        }
    }

    private static void assertRefusedOrClosed(Response response, int specificStatus) {
        if (response.status() == -1) {
            assertThat(response.ending()).as(response.toString()).isIn(RawClient.Ending.EOF, RawClient.Ending.RESET);
        } else {
            assertThat(response.status()).as(response.toString()).isIn(specificStatus, 400);
        }
    }

    // ---- 7. slowloris ----

    @Test
    void slowRequestHeadsAreCutOffByTheHeaderReadTimeout() throws Exception {
        byte[] head = get("/t/slow").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        ExecutorService readers = Executors.newFixedThreadPool(20);
        List<RawClient> slow = new ArrayList<>();
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(config(upstream, "{header-read-timeout: 1s}"))) {
            for (int i = 0; i < 20; i++) {
                slow.add(RawClient.connect(proxy.port()));
            }
            long start = System.nanoTime();
            AtomicInteger position = new AtomicInteger();
            ticker.scheduleAtFixedRate(
                    () -> {
                        int i = position.getAndIncrement();
                        if (i < head.length) {
                            slow.forEach(client -> client.send(new byte[] {head[i]}));
                        }
                    },
                    0,
                    200,
                    TimeUnit.MILLISECONDS);
            List<CompletableFuture<Long>> closedAfterMillis = slow.stream()
                    .map(client -> CompletableFuture.supplyAsync(
                            () -> client.awaitClose(Duration.ofSeconds(5)) == Fate.OPEN
                                    ? -1L
                                    : (System.nanoTime() - start) / 1_000_000,
                            readers))
                    .toList();

            try (RawClient normal = RawClient.connect(proxy.port())) {
                Response response = normal.exchange(get("/t/normal"), READ);
                assertThat(response.status()).as(response.toString()).isEqualTo(200);
            }
            List<Long> millis =
                    closedAfterMillis.stream().map(CompletableFuture::join).toList();
            assertThat(millis)
                    .as("ms until each slow connection was closed (-1: still open)")
                    .allMatch(ms -> ms >= 0 && ms <= 3_500);
            assertThat(upstream.requests()).extracting(Recorded::path).containsExactly("/base/normal");
        } finally {
            ticker.shutdownNow();
            readers.shutdownNow();
            slow.forEach(RawClient::close);
        }
    }

    // ---- 8. bodies announced but never sent ----

    @Test
    void announcedButUnsentBodiesDoNotExhaustTheBodyBudget() throws Exception {
        List<RawClient> idlers = new ArrayList<>();
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy = TestProxy.start(
                        config(upstream, "{max-buffered-bodies: 1MiB}", "    retry: {max-replay-body: 8MiB}"))) {
            for (int i = 0; i < 100; i++) {
                RawClient client = RawClient.connect(proxy.port());
                idlers.add(client);
                client.send("POST /t/big HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: 8388608\r\n\r\n");
            }
            try (RawClient normal = RawClient.connect(proxy.port())) {
                Response response = normal.exchange(
                        "POST /t/small HTTP/1.1\r\nHost: proxy.test\r\n" + "Content-Length: 5\r\n\r\nhello", READ);
                assertThat(response.status()).as(response.toString()).isEqualTo(200);
            }
            assertThat(Metrics.value(proxy, "breakwater_buffered_body_bytes"))
                    .as("gauge exposed")
                    .isNotNull();

            idlers.forEach(RawClient::close);

            await().atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> Double.valueOf(0).equals(Metrics.value(proxy, "breakwater_buffered_body_bytes")));
        } finally {
            idlers.forEach(RawClient::close);
        }
    }

    // ---- 9. real uploads beyond the body budget ----

    @Test
    void concurrentUploadsBeyondTheBodyBudgetAllArriveExactlyOnce() throws Exception {
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("stored"));
                TestProxy proxy = TestProxy.start(config(upstream, "{max-buffered-bodies: 1MiB}"))) {
            List<byte[]> bodies = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                byte[] body = new byte[512 * 1024];
                new Random(i).nextBytes(body);
                bodies.add(body);
            }
            List<CompletableFuture<HttpResponse<String>>> responses = bodies.stream()
                    .map(body -> Http.client()
                            .sendAsync(
                                    HttpRequest.newBuilder(proxy.uri("/t/upload"))
                                            .timeout(Duration.ofSeconds(10))
                                            .header("content-type", "application/octet-stream")
                                            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString()))
                    .toList();

            assertThat(responses.stream().map(CompletableFuture::join).map(HttpResponse::statusCode))
                    .containsOnly(200)
                    .hasSize(20);
            List<Recorded> received = upstream.requests();
            assertThat(received).hasSize(20);
            for (int i = 0; i < bodies.size(); i++) {
                byte[] body = bodies.get(i);
                assertThat(received.stream()
                                .filter(r -> Arrays.equals(r.body(), body))
                                .count())
                        .as("upstream copies of body %d", i)
                        .isEqualTo(1);
            }
        }
    }

    // ---- 10. connection limit ----

    @Test
    void atTheConnectionLimitTheLongestIdleConnectionMakesRoom() throws Exception {
        List<RawClient> idle = new ArrayList<>();
        try (ScriptedUpstream upstream = ScriptedUpstream.always(ok("upstream"));
                TestProxy proxy =
                        TestProxy.start(config(upstream, "{max-connections: 50, max-connections-per-client: 50}"))) {
            for (int i = 0; i < 200; i++) {
                idle.add(RawClient.connect(proxy.port()));
            }
            try (RawClient normal = RawClient.connect(proxy.port())) {
                Response response = normal.exchange(get("/t/after-flood"), READ);
                assertThat(response.status()).as(response.toString()).isEqualTo(200);
            }
            assertThat(Http.get(proxy.adminUri("/healthz")).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(idle.stream()
                                    .filter(client -> client.awaitClose(Duration.ofMillis(1)) != Fate.OPEN)
                                    .count())
                            .as("idle connections the proxy closed")
                            .isGreaterThanOrEqualTo(150));
        } finally {
            idle.forEach(RawClient::close);
        }
    }

    // ---- 11. idle timeout ----

    @Test
    void idleKeepAliveConnectionIsClosedButOneWaitingForItsResponseIsNot() throws Exception {
        ScriptedUpstream.Script script = request ->
                request.path().endsWith("/slow") ? ScriptedUpstream.stall(2_000, ok("slow but fine")) : ok("quick");
        try (ScriptedUpstream upstream = ScriptedUpstream.start(script);
                TestProxy proxy = TestProxy.start(
                        config(upstream, "{idle-timeout: 1s}", "    timeouts: {response: 5s, total: 10s}"));
                RawClient idle = RawClient.connect(proxy.port());
                RawClient waiting = RawClient.connect(proxy.port())) {
            Response first = idle.exchange(get("/t/quick"), READ);
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            long idleSince = System.nanoTime();
            waiting.send(get("/t/slow"));

            assertThat(idle.awaitClose(Duration.ofSeconds(4)))
                    .as("idle keep-alive connection")
                    .isIn(Fate.CLOSED, Fate.RESET);
            assertThat((System.nanoTime() - idleSince) / 1_000_000)
                    .as("ms until closed")
                    .isLessThanOrEqualTo(3_000);

            Response slow = waiting.readFinalResponse(Duration.ofSeconds(6));
            assertThat(slow.status()).as(slow.toString()).isEqualTo(200);
            assertThat(slow.bodyText()).isEqualTo("slow but fine");
        }
    }

    /** Reads Prometheus text from the admin listener. */
    static final class Metrics {
        private Metrics() {}

        /** The sum of all samples of {@code name} (any labels), or null when the metric is absent. */
        static Double value(TestProxy proxy, String name) throws Exception {
            String body = Http.get(proxy.adminUri("/metrics")).body();
            Double sum = null;
            for (String line : body.lines().toList()) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    double sample = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    sum = (sum == null ? 0 : sum) + sample;
                }
            }
            return sum;
        }
    }
}
