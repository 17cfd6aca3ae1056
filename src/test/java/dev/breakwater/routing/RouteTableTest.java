package dev.breakwater.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.FallbackClass;
import dev.breakwater.config.IdempotencySpec;
import dev.breakwater.config.Provider;
import dev.breakwater.config.RateLimitSpec;
import dev.breakwater.config.RetryBudgetSpec;
import dev.breakwater.config.RetrySpec;
import dev.breakwater.config.RouteSpec;
import dev.breakwater.config.SlidingWindowType;
import dev.breakwater.config.Strategy;
import dev.breakwater.config.StreamSpec;
import dev.breakwater.config.TimeoutSpec;
import dev.breakwater.config.UpstreamSpec;
import dev.breakwater.observability.Metrics;
import dev.breakwater.resilience.FleetLink;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    static final RetrySpec RETRY = new RetrySpec(
            3,
            Duration.ofMillis(100),
            2.0,
            Duration.ofSeconds(1),
            0.0,
            Set.of(503),
            Set.of("GET"),
            Duration.ofSeconds(60),
            1024,
            true,
            true);
    static final TimeoutSpec TIMEOUTS = new TimeoutSpec(
            Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ofMinutes(10));
    static final CircuitBreakerSpec BREAKER = new CircuitBreakerSpec(
            true,
            50,
            SlidingWindowType.COUNT_BASED,
            20,
            10,
            Duration.ofSeconds(30),
            3,
            100,
            Duration.ofMinutes(10),
            Set.of(500, 502, 503, 504));

    /** A route at {@code prefix} forwarding to {@code http://upstream:8080<basePath>}. */
    static Route route(String name, String prefix, boolean stripPrefix, String basePath) {
        UpstreamSpec upstream =
                new UpstreamSpec(URI.create("http://upstream:8080" + basePath), false, "upstream", 8080, basePath);
        RouteSpec spec = new RouteSpec(
                name,
                prefix,
                upstream,
                stripPrefix,
                Provider.GENERIC,
                Map.of(),
                Optional.empty(),
                TIMEOUTS,
                RETRY,
                RetryBudgetSpec.DEFAULT,
                BREAKER,
                List.of(),
                FallbackClass.ALL,
                Strategy.FAILOVER,
                RateLimitSpec.DEFAULT,
                StreamSpec.DEFAULT,
                IdempotencySpec.DEFAULT);
        return new RouteFactory(
                        new SplittableRandom(1), System::nanoTime, Clock.systemUTC(), new Metrics(), FleetLink.LOCAL)
                .route(spec, Optional.empty());
    }

    static Route route(String name, String prefix) {
        return route(name, prefix, false, "");
    }

    private static Optional<String> matchName(RouteTable table, String path) {
        return table.match(path).map(Route::name);
    }

    @Test
    void longestMatchingPrefixWins() {
        RouteTable table = new RouteTable(List.of(route("root", "/"), route("v1", "/v1/"), route("chat", "/v1/chat")));

        assertThat(matchName(table, "/v1/chat/completions")).contains("chat");
        assertThat(matchName(table, "/v1/models")).contains("v1");
        assertThat(matchName(table, "/health")).contains("root");
    }

    @Test
    void longestPrefixWinsWhateverTheConfigurationOrder() {
        RouteTable shortFirst = new RouteTable(List.of(route("short", "/a"), route("long", "/a/b")));
        RouteTable longFirst = new RouteTable(List.of(route("long", "/a/b"), route("short", "/a")));

        assertThat(matchName(shortFirst, "/a/b/c")).contains("long");
        assertThat(matchName(longFirst, "/a/b/c")).contains("long");
        assertThat(matchName(shortFirst, "/a/x")).contains("short");
    }

    @Test
    void prefixWithTrailingSlashAlsoMatchesThePathWithoutIt() {
        RouteTable table = new RouteTable(List.of(route("policy", "/tools/policy/")));

        assertThat(matchName(table, "/tools/policy")).contains("policy");
        assertThat(matchName(table, "/tools/policy/")).contains("policy");
        assertThat(matchName(table, "/tools/policy/check")).contains("policy");
    }

    @Test
    void prefixWithTrailingSlashDoesNotMatchALongerSegmentOrAShorterPath() {
        RouteTable table = new RouteTable(List.of(route("policy", "/tools/policy/")));

        assertThat(table.match("/tools/policyx")).isEmpty();
        assertThat(table.match("/tools/polic")).isEmpty();
        assertThat(table.match("/tools/")).isEmpty();
    }

    @Test
    void pathMatchingNoPrefixFindsNoRoute() {
        RouteTable table = new RouteTable(List.of(route("openai", "/openai/"), route("tools", "/tools/")));

        assertThat(table.match("/anthropic/v1/messages")).isEmpty();
        assertThat(table.match("/")).isEmpty();
    }

    @Test
    void emptyTableMatchesNothing() {
        assertThat(new RouteTable(List.of()).match("/anything")).isEmpty();
    }

    @Test
    void routesAreListedInConfigurationOrder() {
        Route a = route("a", "/a");
        Route longer = route("longer", "/a/b/c");
        Route b = route("b", "/b");

        assertThat(new RouteTable(List.of(a, longer, b)).routes()).containsExactly(a, longer, b);
    }
}
