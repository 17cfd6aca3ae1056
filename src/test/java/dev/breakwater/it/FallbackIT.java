package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.TestProxy;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A route with a fallback upstream, end to end: the fallback answers at once when the primary is rate limited or
 * failing, with its own key and its model name, and never for what the request itself got wrong.
 */
class FallbackIT {
    private static final String OK = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"%s","choices":[]}""";

    @RegisterExtension
    static final WireMockExtension primary = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1"))
            .build();

    @RegisterExtension
    static final WireMockExtension fallback = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1"))
            .build();

    private static String config(String extra) {
        return """
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0}
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: http://127.0.0.1:%d
                    provider: openai
                    retry: {retry-methods: [GET, POST], max-attempts: 4}
                    fallbacks:
                      - name: azure-eu
                        upstream: http://127.0.0.1:%d/openai
                        headers:
                          api-key: fallback-key
                        models:
                          gpt-4o-mini: mini-prod-deployment
                %s""".formatted(primary.getPort(), fallback.getPort(), extra);
    }

    private static HttpResponse<String> chat(TestProxy proxy, String model) throws Exception {
        return Http.post(
                proxy.uri("/v1/chat/completions"),
                "{\"model\":\"" + model + "\",\"messages\":[]}",
                "content-type",
                "application/json",
                "authorization",
                "Bearer sk-client");
    }

    private static void fallbackAnswers() {
        fallback.stubFor(post(urlEqualTo("/openai/v1/chat/completions"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("content-type", "application/json")
                        .withBody(OK.formatted("mini-prod-deployment"))));
    }

    @Test
    void aLongRateLimitOnThePrimaryIsAnsweredByTheFallbackAtOnceWithItsKeyAndModel() throws Exception {
        primary.stubFor(post(urlEqualTo("/v1/chat/completions"))
                .willReturn(aResponse().withStatus(429).withHeader("retry-after", "20")));
        fallbackAnswers();
        try (TestProxy proxy = TestProxy.start(config(""))) {
            long start = System.nanoTime();
            HttpResponse<String> answer = chat(proxy, "gpt-4o-mini");
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(millis).isLessThan(1_000);
            assertThat(answer.headers().firstValue("x-breakwater-upstream")).contains("azure-eu");
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).contains("2");
            fallback.verify(
                    1,
                    postRequestedFor(urlEqualTo("/openai/v1/chat/completions"))
                            .withHeader("api-key", equalTo("fallback-key"))
                            .withHeader("authorization", absent())
                            .withRequestBody(matchingJsonPath("$.model", equalTo("mini-prod-deployment"))));

            // The primary's window for this key and model is closed: the next request goes straight to the
            // fallback, while another model still uses the primary.
            primary.resetRequests();
            assertThat(chat(proxy, "gpt-4o-mini").headers().firstValue("x-breakwater-upstream"))
                    .contains("azure-eu");
            assertThat(primary.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))))
                    .isEmpty();
            chat(proxy, "gpt-4o");
            primary.verify(
                    1,
                    postRequestedFor(urlEqualTo("/v1/chat/completions"))
                            .withHeader("authorization", equalTo("Bearer sk-client"))
                            .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-4o"))));
        }
    }

    @Test
    void aServerErrorFallsBackButAClientErrorIsReturnedAsIs() throws Exception {
        primary.stubFor(post(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("gpt-4o-mini")))
                .willReturn(aResponse().withStatus(503)));
        primary.stubFor(post(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("bad")))
                .willReturn(aResponse().withStatus(400).withBody("{\"error\":{\"message\":\"bad\"}}")));
        fallbackAnswers();
        try (TestProxy proxy = TestProxy.start(config(""))) {
            HttpResponse<String> served = chat(proxy, "gpt-4o-mini");
            HttpResponse<String> refused = chat(proxy, "bad");

            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(served.headers().firstValue("x-breakwater-upstream")).contains("azure-eu");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.headers().firstValue("x-breakwater-upstream")).contains("openai");
            fallback.verify(1, postRequestedFor(urlEqualTo("/openai/v1/chat/completions")));
        }
    }

    @Test
    void everyUpstreamFailingEndsAfterMaxAttemptsInTotal() throws Exception {
        primary.stubFor(
                post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(503)));
        fallback.stubFor(post(urlEqualTo("/openai/v1/chat/completions"))
                .willReturn(aResponse().withStatus(502)));
        try (TestProxy proxy = TestProxy.start(config(""))) {
            HttpResponse<String> answer = chat(proxy, "gpt-4o-mini");

            assertThat(answer.statusCode()).isIn(502, 503);
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).contains("4");
            int calls = primary.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")))
                            .size()
                    + fallback.findAll(postRequestedFor(urlEqualTo("/openai/v1/chat/completions")))
                            .size();
            assertThat(calls).isEqualTo(4);
        }
    }

    @Test
    void aStreamIsRelayedFromTheFallback() throws Exception {
        primary.stubFor(
                post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(500)));
        fallback.stubFor(post(urlEqualTo("/openai/v1/chat/completions"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("content-type", "text/event-stream")
                        .withBody("data: {\"choices\":[]}\n\ndata: [DONE]\n\n")));
        try (TestProxy proxy = TestProxy.start(config(""))) {
            HttpResponse<String> answer = chat(proxy, "gpt-4o-mini");

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("content-type")).contains("text/event-stream");
            assertThat(answer.body()).endsWith("data: [DONE]\n\n");
            assertThat(answer.headers().firstValue("x-breakwater-upstream")).contains("azure-eu");
        }
    }

    @Test
    void anOpenPrimaryBreakerSendsRequestsToTheFallback() throws Exception {
        primary.stubFor(
                post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)));
        fallbackAnswers();
        try (TestProxy proxy = TestProxy.start(config(""))) {
            HttpResponse<String> forced = Http.send(
                    java.net.http.HttpRequest.newBuilder(proxy.adminUri("/admin/routes/openai/circuit-breaker/open"))
                            .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                            .build());
            assertThat(forced.statusCode()).isEqualTo(200);

            HttpResponse<String> answer = chat(proxy, "gpt-4o-mini");

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("x-breakwater-upstream")).contains("azure-eu");
            assertThat(answer.headers().firstValue("x-breakwater-attempts")).contains("1");
            assertThat(primary.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))))
                    .isEmpty();
        }
    }

    @Test
    void spreadSendsMoreTrafficToTheUpstreamReportingMoreCapacity() throws Exception {
        primary.stubFor(post(urlEqualTo("/v1/chat/completions"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("x-ratelimit-remaining-requests", "3")
                        .withBody(OK.formatted("gpt-4o-mini"))));
        fallback.stubFor(post(urlEqualTo("/openai/v1/chat/completions"))
                .willReturn(aResponse()
                        .withStatus(200)
                        .withHeader("x-ratelimit-remaining-requests", "900")
                        .withBody(OK.formatted("mini-prod-deployment"))));
        try (TestProxy proxy = TestProxy.start(config("    strategy: spread\n"))) {
            java.util.Map<String, Integer> answeredBy = new java.util.HashMap<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> answer = chat(proxy, "gpt-4o-mini");
                assertThat(answer.statusCode()).isEqualTo(200);
                answeredBy.merge(
                        answer.headers().firstValue("x-breakwater-upstream").orElseThrow(), 1, Integer::sum);
            }

            assertThat(answeredBy.getOrDefault("azure-eu", 0)).isGreaterThanOrEqualTo(18);
        }
    }
}
