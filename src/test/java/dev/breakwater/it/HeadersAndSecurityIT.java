package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What crosses the proxy: header hygiene, ids, forwarding headers, and requests that must never be proxied. */
class HeadersAndSecurityIT {
    private static Vertx vertx;
    private static HttpServer upstream;
    private static HttpServer otherHost;
    private static TestProxy proxy;
    private static final List<Received> received = new CopyOnWriteArrayList<>();
    private static final AtomicInteger otherHostHits = new AtomicInteger();

    record Received(String uri, MultiMap headers) {}

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(request -> {
                    received.add(new Received(
                            request.uri(), MultiMap.caseInsensitiveMultiMap().addAll(request.headers())));
                    request.response()
                            .putHeader("Connection", "X-Bar")
                            .putHeader("X-Bar", "hop")
                            .putHeader("Keep-Alive", "timeout=5")
                            .putHeader("X-End-To-End", "kept")
                            .end("ok");
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        otherHost = vertx.createHttpServer()
                .requestHandler(request -> {
                    otherHostHits.incrementAndGet();
                    request.response().end("other");
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        proxy = TestProxy.start(
                """
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0}
                routes:
                  - name: tool
                    path-prefix: /tools/policy/
                    upstream: http://127.0.0.1:%d/base
                    strip-prefix: true
                    headers: {X-Api-Key: "${TOOL_KEY}"}
                  - name: dead
                    path-prefix: /dead/
                    upstream: http://127.0.0.1:%d
                """.formatted(upstream.actualPort(), closedPort), java.util.Map.of("TOOL_KEY", "secret-1"));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void clear() {
        received.clear();
        otherHostHits.set(0);
    }

    @Test
    void stripsHopByHopAndConnectionNamedHeadersBothWays() throws Exception {
        String response = raw("GET /tools/policy/check?a=1&b=%2F HTTP/1.1\r\n"
                + "Host: agent.local\r\n"
                + "Connection: keep-alive, X-Foo\r\n"
                + "X-Foo: secret-hop\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Proxy-Authorization: Basic abc\r\n"
                + "X-Request-Id: req-123\r\n"
                + "X-Kept: yes\r\n"
                + "Connection: close\r\n\r\n");

        assertThat(received).hasSize(1);
        Received up = received.get(0);
        assertThat(up.uri()).isEqualTo("/base/check?a=1&b=%2F");
        assertThat(up.headers().get("x-kept")).isEqualTo("yes");
        assertThat(up.headers().contains("x-foo")).isFalse();
        assertThat(up.headers().contains("keep-alive")).isFalse();
        assertThat(up.headers().contains("te")).isFalse();
        assertThat(up.headers().contains("proxy-authorization")).isFalse();
        assertThat(up.headers().get("host")).isEqualTo("127.0.0.1:" + upstream.actualPort());
        assertThat(up.headers().get("x-forwarded-host")).isEqualTo("agent.local");
        assertThat(up.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(up.headers().get("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(up.headers().get("x-request-id")).isEqualTo("req-123");
        assertThat(up.headers().get("x-api-key")).isEqualTo("secret-1");

        String head = response.substring(0, response.indexOf("\r\n\r\n")).toLowerCase();
        assertThat(head).startsWith("http/1.1 200");
        assertThat(head)
                .contains("x-end-to-end: kept")
                .contains("x-request-id: req-123")
                .contains("x-breakwater-attempts: 1");
        assertThat(head).doesNotContain("x-bar").doesNotContain("keep-alive: timeout");
    }

    @Test
    void generatesARequestIdWhenTheClientSendsNone() throws Exception {
        HttpResponse<String> response = Http.get(proxy.uri("/tools/policy/x"));

        String id = response.headers().firstValue("x-request-id").orElseThrow();
        assertThat(id).hasSize(36);
        assertThat(received.get(0).headers().get("x-request-id")).isEqualTo(id);
    }

    @Test
    void neverForwardsAnAbsoluteFormTargetToItsHost() throws Exception {
        String response = raw("GET http://127.0.0.1:" + otherHost.actualPort() + "/tools/policy/abs HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + otherHost.actualPort() + "\r\nConnection: close\r\n\r\n");

        assertThat(otherHostHits).hasValue(0);
        assertThat(response).startsWith("HTTP/1.1 200");
        assertThat(received).extracting(Received::uri).containsExactly("/base/abs");
    }

    @Test
    void answersAnUnroutedAbsoluteFormTargetWith404() throws Exception {
        String response = raw("GET http://127.0.0.1:" + otherHost.actualPort() + "/elsewhere HTTP/1.1\r\n"
                + "Host: x\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 404").contains("\"code\":\"no_route\"");
        assertThat(otherHostHits).hasValue(0);
    }

    @Test
    void refusesConnect() throws Exception {
        String response = raw("CONNECT 127.0.0.1:" + otherHost.actualPort() + " HTTP/1.1\r\n" + "Host: 127.0.0.1:"
                + otherHost.actualPort() + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 405").contains("\"code\":\"method_not_allowed\"");
        assertThat(otherHostHits).hasValue(0);
        assertThat(received).isEmpty();
    }

    @Test
    void answers502UpstreamUnreachableAfterRetryingConnectFailures() throws Exception {
        HttpResponse<String> response = Http.post(proxy.uri("/dead/x"), "{}");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body())
                .contains("\"code\":\"upstream_unreachable\"")
                .contains("\"type\":\"breakwater_error\"");
        // POST is retried here: a connect failure proves the upstream never saw the request.
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("3");
    }

    @Test
    void servesAJdkClientThatAsksForAnH2cUpgrade() throws Exception {
        java.net.http.HttpClient h2 = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_2)
                .build();

        HttpResponse<String> response = h2.send(
                java.net.http.HttpRequest.newBuilder(proxy.uri("/tools/policy/h2"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"q\":1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok");
        assertThat(received).extracting(Received::uri).contains("/base/h2");
    }

    @Test
    void passesTraceparentThroughUnchangedAndLogsIt() throws Exception {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        try (LogCapture logs = LogCapture.of("breakwater.access")) {
            Http.send(java.net.http.HttpRequest.newBuilder(proxy.uri("/tools/policy/traced"))
                    .header("traceparent", traceparent)
                    .GET()
                    .build());
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(logs.lines())
                            .anySatisfy(line -> assertThat(line)
                                    .contains("path=/tools/policy/traced")
                                    .contains("traceparent=" + traceparent)));
        }

        assertThat(received.get(0).headers().get("traceparent")).isEqualTo(traceparent);
    }

    @Test
    void neverLogsCredentialValues() throws Exception {
        List<String> lines;
        try (LogCapture logs = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            Http.send(java.net.http.HttpRequest.newBuilder(proxy.uri("/tools/policy/secret?api-key=sk-in-query"))
                    .header("Authorization", "Bearer sk-live-secret")
                    .header("api-key", "azure-secret")
                    .header("x-api-key", "x-secret")
                    .header("Cookie", "session=cookie-secret")
                    .GET()
                    .build());
            Http.post(proxy.uri("/dead/x"), "{}", "Authorization", "Bearer sk-live-secret");
            lines = logs.lines();
        }

        assertThat(lines).isNotEmpty();
        assertThat(lines)
                .allSatisfy(line -> assertThat(line)
                        .doesNotContain("sk-live-secret", "azure-secret", "x-secret", "cookie-secret", "sk-in-query"));
    }

    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0) {
                bytes.write(buffer, 0, n);
                String soFar = bytes.toString(StandardCharsets.US_ASCII);
                int headEnd = soFar.indexOf("\r\n\r\n");
                if (headEnd > 0 && complete(soFar, headEnd)) {
                    break;
                }
            }
            return bytes.toString(StandardCharsets.US_ASCII);
        }
    }

    private static boolean complete(String response, int headEnd) {
        String head = response.substring(0, headEnd).toLowerCase();
        int at = head.indexOf("content-length:");
        if (at < 0) {
            return head.contains("transfer-encoding: chunked") ? response.endsWith("0\r\n\r\n") : false;
        }
        int end = head.indexOf("\r\n", at);
        int length = Integer.parseInt(
                head.substring(at + 15, end < 0 ? head.length() : end).trim());
        return response.length() - headEnd - 4 >= length;
    }
}
