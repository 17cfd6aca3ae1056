package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.ClosedLoop;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.LimitedUpstream;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pacing against an upstream that enforces a real limit: Breakwater holds requests for the window's reset instead
 * of sending them into 429s, and a request that cannot be served in time is refused at once.
 */
class PacingIT {
    private static final String PATH = "/v1/chat/completions";
    private static final String BODY = ClosedLoop.BODY;

    private static String config(int upstreamPort, String rateLimit) {
        return Routes.pacedOpenAi(upstreamPort, rateLimit);
    }

    private static Map<Integer, Integer> load(TestProxy proxy, int clients, int total) throws Exception {
        return ClosedLoop.run(List.of(proxy.uri(PATH)), clients, total).statuses();
    }

    @Test
    void pacingKeepsAnEightClientRunUnderTheLimitAtNearlyTheIdealRate() throws Exception {
        try (LimitedUpstream upstream = LimitedUpstream.start(10, 500);
                TestProxy proxy = TestProxy.start(config(upstream.port(), "{pacing: true}"))) {
            long start = System.nanoTime();
            Map<Integer, Integer> statuses = load(proxy, 8, 60);
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(statuses).containsOnlyKeys(200);
            assertThat(upstream.limited()).isLessThanOrEqualTo(2);
            // Ideal: 60 / 10 windows of 0.5 s = 3 s; 9 usable per window (5 % headroom) makes 7 windows at most.
            assertThat(seconds).isLessThan(3.9);
        }
    }

    @Test
    void withoutPacingTheSameRunMeetsTheLimitWithItsOwn429s() throws Exception {
        try (LimitedUpstream upstream = LimitedUpstream.start(10, 500);
                TestProxy proxy = TestProxy.start(config(upstream.port(), "{pacing: false}"))) {
            load(proxy, 8, 60);

            assertThat(upstream.limited()).isGreaterThan(2);
        }
    }

    @Test
    void aRequestThatCannotBeServedWithinItsWaitGets429AtOnce() throws Exception {
        try (LimitedUpstream upstream = LimitedUpstream.start(2, 60_000);
                TestProxy proxy = TestProxy.start(config(upstream.port(), "{pacing: true}")
                        .replace("max-attempts: 4,", "max-attempts: 4, max-retry-after: 2s,"))) {
            // Two go (2 * 0.95 rounds down to 1 usable, and the first was sent before anything was known).
            load(proxy, 1, 2);

            long start = System.nanoTime();
            HttpResponse<String> refused = Http.post(
                    proxy.uri(PATH), BODY, "content-type", "application/json", "authorization", "Bearer sk-fleet");
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.body()).contains("\"code\":\"rate_limited\"");
            assertThat(refused.headers().firstValueAsLong("retry-after").orElse(0))
                    .isGreaterThan(50);
            assertThat(millis).isLessThan(1_000);
            assertThat(upstream.limited()).isZero();
        }
    }
}
