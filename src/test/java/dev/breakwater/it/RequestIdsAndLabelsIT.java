package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.NodeSdk;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an operator and an SDK user see of one request: the upstream's request id in {@code x-request-id} and
 * Breakwater's in {@code x-breakwater-request-id}, both in the log; the model on the request and attempt metrics;
 * relayed client errors told apart from successes; and the access line's model, upstream, timing and sizes.
 */
class RequestIdsAndLabelsIT {
    private static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null},
                         "finish_reason":"stop","logprobs":null}],
             "usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}""";
    private static final String REQUEST =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1"))
            .build();

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        proxy = TestProxy.start(Routes.openAi(upstream.getPort(), ""));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
    }

    @BeforeEach
    void answer() {
        upstream.stubFor(post(urlPathEqualTo("/v1/chat/completions"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("content-type", "application/json")
                        .withHeader("x-request-id", "req_upstream_123")
                        .withBody(COMPLETION)));
    }

    @Test
    void theClientGetsTheUpstreamsRequestIdAndBreakwatersBesideIt() throws Exception {
        try (LogCapture access = LogCapture.of("breakwater.access")) {
            HttpResponse<String> response = Http.post(
                    proxy.uri("/v1/chat/completions"),
                    REQUEST,
                    "content-type",
                    "application/json",
                    "x-request-id",
                    "client-chosen-id");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-request-id")).contains("req_upstream_123");
            assertThat(response.headers().firstValue("x-breakwater-request-id")).contains("client-chosen-id");
            assertThat(response.headers().firstValue("x-upstream-request-id")).isEmpty();
            // The client's own id still reaches the upstream.
            upstream.verify(postRequestedFor(urlPathEqualTo("/v1/chat/completions"))
                    .withHeader("x-request-id", equalTo("client-chosen-id")));

            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !linesOf(access, "client-chosen-id").isEmpty());
            String line = linesOf(access, "client-chosen-id").get(0);
            assertThat(line)
                    .contains("request_id=client-chosen-id")
                    .contains("upstream_request_id=req_upstream_123")
                    .contains("model=gpt-4o-mini")
                    .contains("upstream=openai")
                    .contains("upstream_host=127.0.0.1:" + upstream.getPort())
                    .contains("ttfb_ms=")
                    .contains("bytes_in=" + REQUEST.getBytes(StandardCharsets.UTF_8).length)
                    .contains("bytes_out=" + COMPLETION.getBytes(StandardCharsets.UTF_8).length)
                    .contains("client=127.0.0.1")
                    .contains("outcome=ok");
        }
        String metrics = Http.get(proxy.adminUri("/metrics")).body();
        assertThat(metrics)
                .contains("breakwater_tokens_total{kind=\"input\",model=\"gpt-4o-mini\",route=\"openai\"}")
                .contains("breakwater_tokens_total{kind=\"output\",model=\"gpt-4o-mini\",route=\"openai\"}");
    }

    @Test
    void theOpenAiNodeSdksRequestIdIsTheUpstreams() throws Exception {
        JsonObject out = NodeSdk.run("request-id.mjs", proxy.uri("/v1").toString());

        assertThat(out.getString("content")).isEqualTo("Hello");
        assertThat(out.getString("requestId")).isEqualTo("req_upstream_123");
    }

    @Test
    void breakwatersOwnErrorsCarryItsIdInBothHeaders() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/v1/chat/completions"))
                .willReturn(aResponse().withStatus(503).withHeader("x-request-id", "req_failed")));

        HttpResponse<String> response =
                Http.post(proxy.uri("/v1/chat/completions"), REQUEST, "content-type", "application/json");

        // Retries ran out and the last 503 is relayed: the upstream's id is the one the client sees.
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("x-request-id")).contains("req_failed");
        String ours = response.headers().firstValue("x-breakwater-request-id").orElseThrow();
        assertThat(ours).isNotEqualTo("req_failed").hasSize(36);
    }

    @Test
    void relayedClientErrorsAndTheModelAreInTheMetrics() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/v1/chat/completions"))
                .willReturn(aResponse()
                        .withStatus(429)
                        .withHeader("content-type", "application/json")
                        .withBody("{\"error\":{\"message\":\"You exceeded your current quota\","
                                + "\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}")));

        HttpResponse<String> response =
                Http.post(proxy.uri("/v1/chat/completions"), REQUEST, "content-type", "application/json");
        assertThat(response.statusCode()).isEqualTo(429);

        // The request is counted as it finishes, a moment after the client has the whole answer.
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(
                                Http.get(proxy.adminUri("/metrics")).body())
                        .contains(
                                "breakwater_requests_total{model=\"gpt-4o-mini\",outcome=\"client_error\",route=\"openai\","
                                        + "status_class=\"4xx\"}")
                        .contains(
                                "breakwater_upstream_attempts_total{model=\"gpt-4o-mini\",outcome=\"429\",route=\"openai\","
                                        + "upstream=\"openai\"}")
                        .contains("breakwater_retry_stops_total{reason=\"insufficient_quota\",route=\"openai\"}"));
    }

    @Test
    void aRequestHeldTwoSecondsAtTheGateLeavesTheOverheadHistogramAlone() throws Exception {
        String held = "{\"model\":\"held-model\",\"messages\":[]}";
        upstream.stubFor(post(urlPathEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("held-model")))
                .inScenario("held")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("retry-after", "2"))
                .willSetStateTo("open"));
        upstream.stubFor(post(urlPathEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("held-model")))
                .inScenario("held")
                .whenScenarioStateIs("open")
                .willReturn(aResponse().withStatus(200).withBody(COMPLETION)));
        double overheadBefore = sample("breakwater_proxy_overhead_seconds_sum{route=\"openai\"}");
        double countBefore = sample("breakwater_proxy_overhead_seconds_count{route=\"openai\"}");

        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> chat(held));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> upstream.getAllServeEvents().stream()
                        .anyMatch(e -> e.getRequest().getBodyAsString().contains("held-model")));
        // The 429 closed the key's gate: this request's first attempt waits there for the rest of the 2 s.
        long start = System.nanoTime();
        HttpResponse<String> second = chat(held);
        long heldMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(heldMillis).isGreaterThan(1_500);
        assertThat(sample("breakwater_proxy_overhead_seconds_count{route=\"openai\"}") - countBefore)
                .isEqualTo(2.0);
        assertThat(sample("breakwater_proxy_overhead_seconds_sum{route=\"openai\"}") - overheadBefore)
                .as("the gate hold is waiting, not Breakwater's own work")
                .isLessThan(0.2);
        assertThat(sample("breakwater_ratelimit_wait_seconds_sum{key=\"")).isGreaterThan(1.5);
    }

    private static HttpResponse<String> chat(String body) {
        try {
            return Http.post(proxy.uri("/v1/chat/completions"), body, "content-type", "application/json");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value of the first scraped series that starts with {@code series}. */
    private static double sample(String series) throws Exception {
        return Http.get(proxy.adminUri("/metrics"))
                .body()
                .lines()
                .filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(0);
    }

    private static List<String> linesOf(LogCapture capture, String requestId) {
        return capture.lines().stream()
                .filter(line -> line.contains("request_id=" + requestId))
                .toList();
    }
}
