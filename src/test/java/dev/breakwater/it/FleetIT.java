package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.breakwater.testing.ClosedLoop;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LimitedUpstream;
import dev.breakwater.testing.RedisServer;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fleet mode against a real Redis and an upstream that enforces its limit: three Breakwaters share one budget and
 * each other's closures, and keep serving when Redis dies.
 */
class FleetIT {
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T opened(T resource) {
        open.add(resource);
        return resource;
    }

    private static String config(int upstreamPort, String redisUrl, String rateLimit) {
        return Routes.pacedOpenAi(upstreamPort, rateLimit) + "fleet:\n  redis: " + redisUrl
                + "\n  key-prefix: fleet-it\n";
    }

    private List<TestProxy> fleet(int size, String yaml) {
        List<TestProxy> proxies = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            proxies.add(opened(TestProxy.start(yaml)));
        }
        return proxies;
    }

    private static List<URI> uris(List<TestProxy> proxies) {
        return proxies.stream().map(p -> p.uri(ClosedLoop.PATH)).toList();
    }

    private static double metric(TestProxy proxy, String name) throws Exception {
        String text = Http.get(proxy.adminUri("/metrics")).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(2)) : Double.NaN;
    }

    @Test
    void aDuplicateOfAnIdempotentRequestSentToAnotherInstanceIsCaught() throws Exception {
        RedisServer redis = opened(RedisServer.start());
        LimitedUpstream upstream = opened(LimitedUpstream.start(1_000, 60_000));
        List<TestProxy> proxies = fleet(2, """
                routes:
                  - name: tools
                    path-prefix: /tools/
                    strip-prefix: true
                    upstream: http://127.0.0.1:%d
                fleet:
                  redis: %s
                  key-prefix: fleet-it
                """.formatted(upstream.port(), redis.url()));
        String[] headers = {
            "content-type", "application/json", "authorization", "Bearer sk-fleet", "idempotency-key", "refund-42"
        };

        HttpResponse<String> first = Http.post(proxies.get(0).uri("/tools/refund"), "{\"amount\":40}", headers);
        HttpResponse<String> duplicate = Http.post(proxies.get(1).uri("/tools/refund"), "{\"amount\":40}", headers);
        HttpResponse<String> reused = Http.post(proxies.get(1).uri("/tools/refund"), "{\"amount\":99}", headers);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(duplicate.statusCode()).isEqualTo(200);
        assertThat(duplicate.headers().firstValue("x-breakwater-replayed")).hasValue("true");
        assertThat(duplicate.body()).isEqualTo(first.body());
        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(upstream.arrivals()).hasSize(1);
    }

    @Test
    void threeInstancesOnOneRedisStayUnderTheLimitTogether() throws Exception {
        RedisServer redis = opened(RedisServer.start());
        LimitedUpstream upstream = opened(LimitedUpstream.start(10, 500));
        List<TestProxy> proxies = fleet(3, config(upstream.port(), redis.url(), "{pacing: true}"));

        ClosedLoop load = ClosedLoop.run(uris(proxies), 12, 60);

        assertThat(load.statuses()).containsOnlyKeys(200);
        assertThat(upstream.limited()).isLessThanOrEqualTo(3);
        assertThat(metric(proxies.get(0), "breakwater_fleet_members")).isEqualTo(3);
    }

    @Test
    void aClosureSeenByOneInstanceHoldsTheKeyOnAllOfThem() throws Exception {
        RedisServer redis = opened(RedisServer.start());
        LimitedUpstream upstream = opened(LimitedUpstream.start(1, 60_000));
        upstream.forceRetryAfter(3);
        List<TestProxy> proxies = fleet(3, config(upstream.port(), redis.url(), "{pacing: false}"));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        open.add(pool::shutdownNow);

        ClosedLoop.run(List.of(proxies.get(0).uri(ClosedLoop.PATH)), 1, 1); // uses the window's one request
        CompletableFuture<HttpResponse<String>> first =
                CompletableFuture.supplyAsync(() -> post(proxies.get(0)), pool); // 429 retry-after: 3, then retried
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.limited() == 1);
        long limitedAt = upstream.lastLimitedNanos("Bearer sk-fleet");
        upstream.setLimit(1_000);
        await().atMost(Duration.ofSeconds(2))
                .until(() -> metric(proxies.get(1), "breakwater_fleet_closures_received_total") >= 1
                        && metric(proxies.get(2), "breakwater_fleet_closures_received_total") >= 1);
        int before = upstream.arrivals().size();

        CompletableFuture<HttpResponse<String>> second =
                CompletableFuture.supplyAsync(() -> post(proxies.get(1)), pool);
        CompletableFuture<HttpResponse<String>> third = CompletableFuture.supplyAsync(() -> post(proxies.get(2)), pool);

        assertThat(second.get().statusCode()).isEqualTo(200);
        assertThat(third.get().statusCode()).isEqualTo(200);
        assertThat(first.get().statusCode()).isEqualTo(200);
        List<Long> later =
                upstream.arrivals().subList(before, upstream.arrivals().size());
        assertThat(later).hasSize(3);
        // Nobody sent that key anything until the 3 s the 429 asked for had passed.
        assertThat(later).allSatisfy(at -> assertThat(at - limitedAt).isGreaterThanOrEqualTo(2_950_000_000L));
    }

    @Test
    void withShareBreakersABreakerOpeningOnOneInstanceOpensItOnTheOthers() throws Exception {
        RedisServer redis = opened(RedisServer.start());
        LimitedUpstream upstream = opened(LimitedUpstream.start(1_000, 60_000));
        String yaml = config(upstream.port(), redis.url(), "{pacing: false}")
                        .replace(
                                "    rate-limit: {pacing: false}\n",
                                "    rate-limit: {pacing: false}\n    retry: {max-attempts: 1}\n    circuit-breaker: "
                                        + "{minimum-number-of-calls: 2, sliding-window-size: 2, "
                                        + "wait-duration-in-open-state: 60s}\n")
                        .replace("    retry: {retry-methods: [GET, POST], max-attempts: 4, wait-duration: 50ms}\n", "")
                + "  share-breakers: true\n";
        List<TestProxy> proxies = fleet(2, yaml);
        await().atMost(Duration.ofSeconds(5)).until(() -> metric(proxies.get(1), "breakwater_fleet_members") == 2);
        upstream.setFailing(true);

        assertThat(post(proxies.get(0)).statusCode()).isEqualTo(503);
        assertThat(post(proxies.get(0)).statusCode()).isEqualTo(503);
        int seen = upstream.arrivals().size();
        await().atMost(Duration.ofSeconds(2))
                .until(() -> metric(proxies.get(1), "breakwater_fleet_breaker_openings_received_total") >= 1);

        HttpResponse<String> refused = post(proxies.get(1));
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("circuit_open");
        assertThat(upstream.arrivals()).hasSize(seen);
    }

    private static HttpResponse<String> post(TestProxy proxy) {
        try {
            return Http.post(
                    proxy.uri(ClosedLoop.PATH),
                    ClosedLoop.BODY,
                    "content-type",
                    "application/json",
                    "authorization",
                    "Bearer sk-fleet");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void redisDyingMidRunFailsNoRequestAndTheFleetResyncsWhenItIsBack() throws Exception {
        RedisServer redis = opened(RedisServer.start());
        LimitedUpstream upstream = opened(LimitedUpstream.start(10, 500));
        List<TestProxy> proxies = fleet(3, config(upstream.port(), redis.url(), "{pacing: true}"));
        await().atMost(Duration.ofSeconds(5)).until(() -> metric(proxies.get(0), "breakwater_fleet_members") == 3);
        ExecutorService pool = Executors.newFixedThreadPool(12);
        open.add(pool::shutdownNow);

        ClosedLoop load = ClosedLoop.start(pool, uris(proxies), 12, 120);
        await().atMost(Duration.ofSeconds(20)).until(() -> load.done() >= 30);
        redis.kill();
        for (TestProxy proxy : proxies) {
            await().atMost(Duration.ofSeconds(5)).until(() -> metric(proxy, "breakwater_fleet_degraded") == 1);
        }
        assertThat(Http.get(proxies.get(0).adminUri("/admin/fleet")).body()).contains("\"mode\":\"degraded\"");
        await().atMost(Duration.ofSeconds(20)).until(() -> load.done() >= 70);
        redis.restart();
        for (TestProxy proxy : proxies) {
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(proxy, "breakwater_fleet_degraded") == 0);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> load.done() >= 120);

        assertThat(load.statuses()).containsOnlyKeys(200);
        assertThat(Http.get(proxies.get(0).adminUri("/admin/fleet")).body()).contains("\"mode\":\"shared\"");
    }
}
