package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Retry behaviour through the running proxy against a scripted WireMock upstream. */
class RetryIT {
    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1"))
            .build();

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        String url = "http://127.0.0.1:" + upstream.getPort();
        proxy = TestProxy.start(Routes.oneRoute(
                "tool",
                "/tools/",
                url,
                "    retry: {max-replay-body: 1KiB}",
                "  - name: timed",
                "    path-prefix: /timed/",
                "    upstream: " + url,
                "    timeouts: {response: 300ms}",
                "  - name: deadline",
                "    path-prefix: /deadline/",
                "    upstream: " + url,
                "    timeouts: {response: 5s, total: 700ms}",
                "    retry: {max-attempts: 50, wait-duration: 100ms, exponential-backoff-multiplier: 1.0}"));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
    }

    @Test
    void retries503ThenReturnsThe200() throws Exception {
        upstream.stubFor(get("/tools/x")
                .inScenario("s")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503).withBody("busy"))
                .willSetStateTo("ok"));
        upstream.stubFor(get("/tools/x")
                .inScenario("s")
                .whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(200).withHeader("x-up", "1").withBody("hello")));

        HttpResponse<String> response = Http.get(proxy.uri("/tools/x"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello");
        assertThat(response.headers().firstValue("x-up")).hasValue("1");
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        upstream.verify(2, getRequestedFor(urlEqualTo("/tools/x")));
    }

    @Test
    void returnsTheLastUpstreamResponseUnchangedWhenRetriesRunOut() throws Exception {
        upstream.stubFor(get("/tools/down")
                .willReturn(aResponse()
                        .withStatus(503)
                        .withHeader("content-type", "application/json")
                        .withHeader("x-upstream-said", "no")
                        .withBody("{\"error\":\"down\"}")));

        HttpResponse<String> response = Http.get(proxy.uri("/tools/down"));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("{\"error\":\"down\"}");
        assertThat(response.headers().firstValue("x-upstream-said")).hasValue("no");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("3");
        upstream.verify(3, getRequestedFor(urlEqualTo("/tools/down")));
    }

    @Test
    void doesNotRetryA400() throws Exception {
        upstream.stubFor(
                get("/tools/bad").willReturn(aResponse().withStatus(400).withBody("bad prompt")));

        HttpResponse<String> response = Http.get(proxy.uri("/tools/bad"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("bad prompt");
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        upstream.verify(1, getRequestedFor(urlEqualTo("/tools/bad")));
    }

    @Test
    void retriesAnAttemptThatExceedsTheResponseTimeout() throws Exception {
        upstream.stubFor(get("/timed/slow")
                .inScenario("t")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(200).withBody("late").withFixedDelay(2_000))
                .willSetStateTo("fast"));
        upstream.stubFor(get("/timed/slow")
                .inScenario("t")
                .whenScenarioStateIs("fast")
                .willReturn(aResponse().withStatus(200).withBody("in time")));

        long start = System.nanoTime();
        HttpResponse<String> response = Http.get(proxy.uri("/timed/slow"));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("in time");
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("2");
        assertThat(millis).isGreaterThanOrEqualTo(300).isLessThan(1_900);
    }

    @Test
    void answers504WhenEveryAttemptTimesOut() throws Exception {
        upstream.stubFor(
                get("/timed/never").willReturn(aResponse().withStatus(200).withFixedDelay(1_000)));

        HttpResponse<String> response = Http.get(proxy.uri("/timed/never"));

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("\"code\":\"upstream_timeout\"").contains("\"type\":\"breakwater_error\"");
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("3");
    }

    @Test
    void retriesAConnectionResetBeforeHeaders() throws Exception {
        upstream.stubFor(get("/tools/reset")
                .inScenario("r")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER))
                .willSetStateTo("ok"));
        upstream.stubFor(get("/tools/reset")
                .inScenario("r")
                .whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(200).withBody("recovered")));

        HttpResponse<String> response = Http.get(proxy.uri("/tools/reset"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("recovered");
        upstream.verify(2, getRequestedFor(urlEqualTo("/tools/reset")));
    }

    @Test
    void neverRetriesOrHidesABodyThatBreaksAfterHeaders() throws Exception {
        upstream.stubFor(get("/tools/garbled").willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));

        // A raw socket, because the JDK client would itself resend a GET whose connection broke.
        String response;
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write("GET /tools/garbled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }

        // Before any body byte went out the client gets an honest 502; once the 200 head was sent the connection
        // is cut. Never the end of a complete chunked body, never an empty reply.
        assertThat(response)
                .satisfiesAnyOf(
                        r -> assertThat(r).startsWith("HTTP/1.1 502").contains("upstream_interrupted"),
                        r -> assertThat(r).startsWith("HTTP/1.1 200").doesNotEndWith("0\r\n\r\n"));
        upstream.verify(1, getRequestedFor(urlEqualTo("/tools/garbled")));
    }

    @Test
    void retriesPostOnAToolRouteOnlyWithAnIdempotencyKey() throws Exception {
        upstream.stubFor(post("/tools/act").willReturn(aResponse().withStatus(503)));

        HttpResponse<String> without = Http.post(proxy.uri("/tools/act"), "{}");
        assertThat(without.statusCode()).isEqualTo(503);
        assertThat(without.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        upstream.verify(1, postRequestedFor(urlEqualTo("/tools/act")));

        upstream.resetRequests();
        HttpResponse<String> with = Http.post(proxy.uri("/tools/act"), "{}", "Idempotency-Key", "k-1");
        assertThat(with.statusCode()).isEqualTo(503);
        assertThat(with.headers().firstValue("x-breakwater-attempts")).hasValue("3");
        upstream.verify(3, postRequestedFor(urlEqualTo("/tools/act")));
    }

    @Test
    void sendsTheSameBodyBytesOnEveryAttempt() throws Exception {
        upstream.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(502)));
        byte[] body = new byte[1000];
        new Random(7).nextBytes(body);

        HttpResponse<String> response = Http.send(HttpRequest.newBuilder(proxy.uri("/tools/put"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(10))
                .build());

        assertThat(response.statusCode()).isEqualTo(502);
        List<LoggedRequest> received = upstream.findAll(
                com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor(urlEqualTo("/tools/put")));
        assertThat(received).hasSize(3);
        assertThat(received).allSatisfy(r -> assertThat(r.getBody()).isEqualTo(body));
    }

    @Test
    void sendsABodyOverTheReplayLimitOnceByteForByte() throws Exception {
        upstream.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
        byte[] body = new byte[5000];
        new Random(11).nextBytes(body);

        HttpResponse<String> response = Http.send(HttpRequest.newBuilder(proxy.uri("/tools/big"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(10))
                .build());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("x-breakwater-attempts")).hasValue("1");
        List<LoggedRequest> received = upstream.findAll(
                com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor(urlEqualTo("/tools/big")));
        assertThat(received).hasSize(1);
        assertThat(received.get(0).getBody()).isEqualTo(body);
    }

    @Test
    void stopsRetryingAtTheTotalDeadline() throws Exception {
        upstream.stubFor(get("/deadline/x").willReturn(aResponse().withStatus(503)));

        long start = System.nanoTime();
        HttpResponse<String> response = Http.get(proxy.uri("/deadline/x"));
        long millis = (System.nanoTime() - start) / 1_000_000;

        // 100 ms waits inside a 700 ms deadline: a few attempts, then the last 503, never a wait past the deadline.
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(millis).isLessThan(1_500);
        int attempts = Integer.parseInt(
                response.headers().firstValue("x-breakwater-attempts").orElseThrow());
        assertThat(attempts).isBetween(2, 8);
    }

    @Test
    void answers504DeadlineExceededWhenTheUpstreamOutlivesTheTotalTimeout() throws Exception {
        upstream.stubFor(
                get("/deadline/slow").willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));

        long start = System.nanoTime();
        HttpResponse<String> response = Http.get(proxy.uri("/deadline/slow"));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("\"code\":\"deadline_exceeded\"");
        assertThat(millis).isGreaterThanOrEqualTo(650).isLessThan(2_000);
    }

    @Test
    void answers404NoRouteInOpenAiErrorShape() throws Exception {
        HttpResponse<String> response = Http.get(proxy.uri("/nowhere"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("\"code\":\"no_route\"").contains("\"param\":null");
        assertThat(upstream.getAllServeEvents()).isEmpty();
    }
}
