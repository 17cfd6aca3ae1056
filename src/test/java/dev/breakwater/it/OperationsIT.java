package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LogCapture;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Running it beside services: metrics, the admin API, its token, and hot reload. */
class OperationsIT {
    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40))
            .resetOnEachTest(false)
            .build();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        upstream.stubFor(get(urlPathMatching("/.*"))
                .willReturn(aResponse().withStatus(200).withBody("ok")));
        upstream.stubFor(get(urlPathMatching("/fail/.*")).willReturn(aResponse().withStatus(503)));
    }

    private String routes(String... extra) {
        StringBuilder yaml = new StringBuilder("""
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                defaults:
                  retry: {wait-duration: 10ms, randomized-wait-factor: 0}
                routes:
                  - name: tools
                    path-prefix: /tools/
                    upstream: http://127.0.0.1:%d
                    strip-prefix: true
                """.formatted(upstream.getPort()));
        for (String line : extra) {
            yaml.append(line).append('\n');
        }
        return yaml.toString();
    }

    private static JsonObject routeJson(TestProxy proxy, String name, String... auth) throws Exception {
        HttpResponse<String> response = Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/routes"))
                .headers(auth.length == 0 ? new String[] {"accept", "application/json"} : auth)
                .build());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonArray routes = new JsonObject(response.body()).getJsonArray("routes");
        for (int i = 0; i < routes.size(); i++) {
            if (routes.getJsonObject(i).getString("name").equals(name)) {
                return routes.getJsonObject(i);
            }
        }
        throw new AssertionError("no route " + name + " in " + response.body());
    }

    @Test
    void showsOneRouteByName() throws Exception {
        try (TestProxy proxy = TestProxy.start(routes())) {
            HttpResponse<String> one = Http.get(proxy.adminUri("/admin/routes/tools"));
            HttpResponse<String> none = Http.get(proxy.adminUri("/admin/routes/nope"));

            assertThat(one.statusCode()).isEqualTo(200);
            // The same view but for the last minute's numbers, which move with the clock between the two reads.
            assertThat(withoutRecent(new JsonObject(one.body()))).isEqualTo(withoutRecent(routeJson(proxy, "tools")));
            assertThat(none.statusCode()).isEqualTo(404);
            assertThat(new JsonObject(none.body()).getJsonObject("error").getString("code"))
                    .isEqualTo("no_route");
        }
    }

    private static JsonObject withoutRecent(JsonObject route) {
        route.remove("recent");
        route.getJsonArray("upstreams").forEach(upstream -> ((JsonObject) upstream).remove("recent"));
        return route;
    }

    @Test
    void exportsPrometheusMetricsLabelledByRoute() throws Exception {
        try (TestProxy proxy = TestProxy.start(routes())) {
            assertThat(Http.get(proxy.uri("/tools/a")).statusCode()).isEqualTo(200);
            assertThat(Http.get(proxy.uri("/tools/fail/x")).statusCode()).isEqualTo(503);

            HttpResponse<String> metrics = Http.get(proxy.adminUri("/metrics"));

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body())
                    .contains(
                            "breakwater_requests_total{model=\"none\",outcome=\"ok\",route=\"tools\",status_class=\"2xx\"} 1.0")
                    .contains("breakwater_requests_total{model=\"none\",outcome=\"upstream_error\",route=\"tools\","
                            + "status_class=\"5xx\"} 1.0")
                    .contains("breakwater_upstream_attempts_total{model=\"none\",outcome=\"5xx\",route=\"tools\","
                            + "upstream=\"tools\"} 3.0")
                    .contains("breakwater_retry_wait_seconds_count{reason=\"backoff\",route=\"tools\"} 2")
                    .contains("breakwater_retry_stops_total{reason=\"attempts_exhausted\",route=\"tools\"} 1.0")
                    .contains("breakwater_request_duration_seconds_bucket{route=\"tools\"")
                    .contains("breakwater_time_to_first_byte_seconds_bucket{route=\"tools\"")
                    .contains("breakwater_proxy_overhead_seconds_bucket{route=\"tools\"")
                    .contains("breakwater_ratelimit_held_requests{route=\"tools\"}")
                    .contains("resilience4j_circuitbreaker_state{model=\"none\",name=\"tools\",route=\"tools\"")
                    .contains("resilience4j_retry_calls_total{kind=\"failed_with_retry\",name=\"tools\"")
                    .contains("vertx_pool_in_use")
                    .doesNotContain("vertx_http_server_requests_total");
        }
    }

    @Test
    void anHttp2PriorKnowledgeClientIsNotServed() throws Exception {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try (TestProxy proxy = TestProxy.start(routes())) {
            io.vertx.core.http.HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                    .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false));
            java.util.concurrent.CompletableFuture<String> body = h2.request(
                            io.vertx.core.http.HttpMethod.GET, proxy.port(), "127.0.0.1", "/tools/h2")
                    .compose(request -> request.send().compose(io.vertx.core.http.HttpClientResponse::body))
                    .map(io.vertx.core.buffer.Buffer::toString)
                    .toCompletionStage()
                    .toCompletableFuture();

            // The listener speaks HTTP/1.1 only: the HTTP/2 preface is not a request it serves.
            assertThat(body).failsWithin(Duration.ofSeconds(10));
            assertThat(Http.get(proxy.uri("/tools/h1")).statusCode()).isNotEqualTo(0);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void showsBreakerStateAndLetsOperatorsOpenAndCloseIt() throws Exception {
        try (TestProxy proxy = TestProxy.start(routes())) {
            assertThat(routeJson(proxy, "tools")
                            .getJsonObject("circuit-breaker")
                            .getString("state"))
                    .isEqualTo("CLOSED");
            JsonObject route = routeJson(proxy, "tools");
            assertThat(route.getString("upstream")).isEqualTo("http://127.0.0.1:" + upstream.getPort());
            assertThat(route.getJsonObject("retry").getInteger("max-attempts")).isEqualTo(3);
            assertThat(route.getJsonObject("timeouts").getString("total")).isEqualTo("10m");

            HttpResponse<String> opened =
                    Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/routes/tools/circuit-breaker/open"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build());
            assertThat(opened.statusCode()).isEqualTo(200);
            assertThat(routeJson(proxy, "tools")
                            .getJsonObject("circuit-breaker")
                            .getString("state"))
                    .isEqualTo("FORCED_OPEN");
            HttpResponse<String> refused = Http.get(proxy.uri("/tools/a"));
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).contains("circuit_open");

            Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/routes/tools/circuit-breaker/close"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(routeJson(proxy, "tools")
                            .getJsonObject("circuit-breaker")
                            .getString("state"))
                    .isEqualTo("CLOSED");
            assertThat(Http.get(proxy.uri("/tools/a")).statusCode()).isEqualTo(200);

            HttpResponse<String> unknown =
                    Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/routes/nope/circuit-breaker/open"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build());
            assertThat(unknown.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void requiresTheAdminTokenOffLoopbackButNeverForProbes() throws Exception {
        String yaml = routes().replace("admin: 127.0.0.1:0", "admin: 0.0.0.0:0\nadmin-token: s3cret-token");
        try (TestProxy proxy = TestProxy.start(yaml)) {
            assertThat(Http.get(proxy.adminUri("/healthz")).statusCode()).isEqualTo(200);
            assertThat(Http.get(proxy.adminUri("/readyz")).statusCode()).isEqualTo(200);
            assertThat(Http.get(proxy.adminUri("/admin/routes")).statusCode()).isEqualTo(401);
            assertThat(Http.get(proxy.adminUri("/metrics")).statusCode()).isEqualTo(401);
            assertThat(Http.get(proxy.adminUri("/")).statusCode()).isEqualTo(200);
            assertThat(Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/routes"))
                                    .header("Authorization", "Bearer wrong")
                                    .build())
                            .statusCode())
                    .isEqualTo(401);

            assertThat(routeJson(proxy, "tools", "Authorization", "Bearer s3cret-token")
                            .getString("name"))
                    .isEqualTo("tools");
            // RFC 7235: the scheme name is case-insensitive
            assertThat(routeJson(proxy, "tools", "Authorization", "bearer s3cret-token")
                            .getString("name"))
                    .isEqualTo("tools");
            assertThat(routeJson(proxy, "tools", "Authorization", "BEARER s3cret-token")
                            .getString("name"))
                    .isEqualTo("tools");
        }
    }

    @Test
    void aMetricsListenerServesMetricsWithoutTheTokenAndNothingElse() throws Exception {
        String yaml = routes().replace(
                        "admin: 127.0.0.1:0",
                        "admin: 0.0.0.0:0\nadmin-token: s3cret-token\nmetrics: {listen: 0.0.0.0:0}");
        try (TestProxy proxy = TestProxy.start(yaml)) {
            assertThat(Http.get(proxy.uri("/tools/a")).statusCode()).isEqualTo(200);

            HttpResponse<String> metrics = Http.get(proxy.metricsUri("/metrics"));

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("content-type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
            assertThat(metrics.body())
                    .contains("breakwater_requests_total{model=\"none\",outcome=\"ok\",route=\"tools\","
                            + "status_class=\"2xx\"} 1.0");
            // The admin listener still demands the token, for /metrics too.
            assertThat(Http.get(proxy.adminUri("/metrics")).statusCode()).isEqualTo(401);
            assertThat(Http.get(proxy.adminUri("/admin/routes")).statusCode()).isEqualTo(401);
            // The metrics listener serves nothing but GET /metrics: no admin API, no probes, no status page.
            for (String path : new String[] {"/admin/routes", "/admin/decisions", "/healthz", "/", "/metrics/x"}) {
                assertThat(Http.get(proxy.metricsUri(path)).statusCode())
                        .as(path)
                        .isEqualTo(404);
            }
            HttpResponse<String> post = Http.send(HttpRequest.newBuilder(proxy.metricsUri("/admin/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(post.statusCode()).isEqualTo(404);
            HttpResponse<String> postMetrics = Http.send(HttpRequest.newBuilder(proxy.metricsUri("/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(postMetrics.statusCode()).isEqualTo(405);
        }
    }

    @Test
    void addsARouteWithoutARestartWhileRequestsKeepFlowing() throws Exception {
        Path config = dir.resolve("breakwater.yaml");
        Files.writeString(config, routes());
        try (TestProxy proxy = TestProxy.startFromFile(config)) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            Thread load = new Thread(() -> {
                while (running.get()) {
                    try {
                        if (Http.get(proxy.uri("/tools/a")).statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
            });
            load.start();
            await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > 20);
            assertThat(Http.get(proxy.uri("/added/b")).statusCode()).isEqualTo(404);

            write(
                    config,
                    routes(
                            "  - name: added",
                            "    path-prefix: /added/",
                            "    upstream: http://127.0.0.1:" + upstream.getPort(),
                            "    strip-prefix: true"));

            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Http.get(proxy.uri("/added/b")).statusCode() == 200);
            int before = ok.get();
            await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > before + 20);
            running.set(false);
            load.join();
            assertThat(failed).hasValue(0);
        }
    }

    @Test
    void refusesABrokenEditAndKeepsServingTheOldRoutes() throws Exception {
        Path config = dir.resolve("breakwater.yaml");
        Files.writeString(config, routes());
        try (TestProxy proxy = TestProxy.startFromFile(config)) {
            write(config, routes("  - name: broken", "    path-prefix: nope", "    upstream: ftp://x"));

            HttpResponse<String> reload = Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());

            assertThat(reload.statusCode()).isEqualTo(422);
            assertThat(reload.body()).contains("routes[broken].path-prefix").contains("routes[broken].upstream");
            assertThat(Http.get(proxy.uri("/tools/a")).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> Http.get(proxy.adminUri("/metrics"))
                            .body()
                            .contains("breakwater_config_reloads_total{result=\"rejected\"}"));
            assertThat(routeJson(proxy, "tools").getString("name")).isEqualTo("tools");
        }
    }

    @Test
    void aReloadThatChangesLimitsSaysTheyNeedARestart() throws Exception {
        Path config = dir.resolve("breakwater.yaml");
        Files.writeString(config, routes());
        try (TestProxy proxy = TestProxy.startFromFile(config)) {
            write(config, "limits: {max-connections-per-client: 8}\n" + routes());

            HttpResponse<String> reload = Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());

            assertThat(reload.statusCode()).isEqualTo(200);
            assertThat(new JsonObject(reload.body()).getString("summary"))
                    .contains(
                            "listen, admin, admin-token, metrics, shutdown-grace, limits and fleet changes take effect"
                                    + " after a restart");
        }
    }

    @Test
    void aRejectedReloadNeverShowsASubstitutedSecret() throws Exception {
        Path config = dir.resolve("breakwater.yaml");
        Files.writeString(config, routes());
        Map<String, String> env = Map.of("UPSTREAM_URL", "https://u:Pa55w0rd@h:badport");
        try (TestProxy proxy = TestProxy.startFromFile(config, env);
                LogCapture log = LogCapture.of("dev.breakwater")) {
            write(config, routes("  - name: secret", "    path-prefix: /secret/", "    upstream: \"${UPSTREAM_URL}\""));

            HttpResponse<String> reload = Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());

            assertThat(reload.statusCode()).isEqualTo(422);
            assertThat(reload.body())
                    .contains("routes[secret].upstream: \\\"${UPSTREAM_URL}\\\"")
                    .doesNotContain("Pa55w0rd");
            assertThat(log.lines())
                    .anySatisfy(line -> assertThat(line)
                            .startsWith("config_reload_rejected")
                            .contains("${UPSTREAM_URL}"));
            assertThat(log.lines()).noneSatisfy(line -> assertThat(line).contains("Pa55w0rd"));
        }
    }

    /** Replaces the file in one step, as editors and ConfigMap updates do, with a new modification time. */
    private static void write(Path config, String yaml) throws Exception {
        Path temp = Files.createTempFile(config.getParent(), "edit", ".yaml");
        Files.writeString(temp, yaml);
        Files.setLastModifiedTime(
                temp,
                java.nio.file.attribute.FileTime.fromMillis(
                        Files.getLastModifiedTime(config).toMillis() + 2_000));
        Files.move(temp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
