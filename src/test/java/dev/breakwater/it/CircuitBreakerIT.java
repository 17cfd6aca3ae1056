package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.TestProxy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Circuit breaking and the retry budget through the running proxy. */
class CircuitBreakerIT {
    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(120))
            .build();

    private static TestProxy proxy;

    @BeforeAll
    static void start() {
        String url = "http://127.0.0.1:" + upstream.getPort();
        proxy = TestProxy.start("""
                defaults:
                  retry: {wait-duration: 20ms, randomized-wait-factor: 0}
                routes:
                  - name: flaky
                    path-prefix: /flaky/
                    upstream: %1$s
                    retry: {max-attempts: 1}
                    circuit-breaker:
                      sliding-window-size: 4
                      minimum-number-of-calls: 4
                      failure-rate-threshold: 50
                      wait-duration-in-open-state: 1s
                      permitted-number-of-calls-in-half-open-state: 1
                  - name: limited
                    path-prefix: /limited/
                    upstream: %1$s
                    retry: {max-attempts: 1}
                    circuit-breaker: {sliding-window-size: 4, minimum-number-of-calls: 4}
                  - name: budget
                    path-prefix: /budget/
                    upstream: %1$s
                    retry: {max-attempts: 3}
                    retry-budget: {percent: 20, min-concurrency: 3}
                    circuit-breaker: {enabled: false}
                """.formatted(url));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
    }

    @Test
    void opensAfterFailuresRefusesWithoutCallingUpstreamAndClosesWhenHealthy() throws Exception {
        upstream.stubFor(
                get(urlPathMatching("/flaky/.*")).willReturn(aResponse().withStatus(503)));
        for (int i = 0; i < 4; i++) {
            assertThat(Http.get(proxy.uri("/flaky/x")).statusCode()).isEqualTo(503);
        }
        upstream.verify(4, getRequestedFor(urlPathMatching("/flaky/.*")));

        HttpResponse<String> refused = Http.get(proxy.uri("/flaky/x"));

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("\"code\":\"circuit_open\"").contains("breakwater_error");
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        assertThat(refused.headers().firstValue("x-breakwater-attempts")).hasValue("0");
        upstream.verify(4, getRequestedFor(urlPathMatching("/flaky/.*")));

        upstream.resetAll();
        upstream.stubFor(get(urlPathMatching("/flaky/.*"))
                .willReturn(aResponse().withStatus(200).withBody("ok")));
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> Http.get(proxy.uri("/flaky/x")).statusCode() == 200);
        for (int i = 0; i < 3; i++) {
            assertThat(Http.get(proxy.uri("/flaky/x")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void neverOpensOn429sOr4xx() throws Exception {
        upstream.stubFor(get("/limited/429").willReturn(aResponse().withStatus(429)));
        upstream.stubFor(get("/limited/404").willReturn(aResponse().withStatus(404)));
        for (int i = 0; i < 6; i++) {
            assertThat(Http.get(proxy.uri("/limited/429")).statusCode()).isEqualTo(429);
            assertThat(Http.get(proxy.uri("/limited/404")).statusCode()).isEqualTo(404);
        }
        upstream.verify(12, getRequestedFor(urlPathMatching("/limited/.*")));
    }

    @Test
    void theRetryBudgetKeepsRetriesToAFractionOfTraffic() throws Exception {
        upstream.stubFor(get(urlPathMatching("/budget/.*"))
                .willReturn(aResponse().withStatus(503).withFixedDelay(300)));
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            requests.add(Http.client()
                    .sendAsync(
                            HttpRequest.newBuilder(proxy.uri("/budget/" + i))
                                    .timeout(Duration.ofSeconds(30))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
        }
        int refusedByBudget = 0;
        for (CompletableFuture<HttpResponse<String>> request : requests) {
            HttpResponse<String> response = request.get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("x-should-retry")).hasValue("false");
            if (response.headers()
                    .firstValue("x-breakwater-attempts")
                    .orElseThrow()
                    .equals("1")) {
                refusedByBudget++;
            }
        }

        int calls =
                upstream.findAll(getRequestedFor(urlPathMatching("/budget/.*"))).size();
        // Without a budget: 150 calls. With 20% of ~50 in flight (10), then the floor of 3: about 63.
        assertThat(calls).isGreaterThan(50).isLessThanOrEqualTo(75);
        assertThat(refusedByBudget).isGreaterThanOrEqualTo(30);
    }
}
