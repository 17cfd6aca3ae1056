package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.FallbackClass;
import dev.breakwater.config.Provider;
import dev.breakwater.config.RetryBudgetSpec;
import dev.breakwater.config.RetrySpec;
import dev.breakwater.config.SlidingWindowType;
import dev.breakwater.config.Strategy;
import dev.breakwater.config.UpstreamSpec;
import dev.breakwater.config.UpstreamTarget;
import dev.breakwater.testing.ManualTime;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * The Anthropic and Azure OpenAI rules inside a route's admission, on hand-moved time: which 429s close the gate,
 * for which key, and that Anthropic's 529 is retried and opens the breaker.
 */
class ProviderAdmissionTest {
    private static final Executor DIRECT = Runnable::run;
    private static final RequestFacts POST_WITH_KEY = new RequestFacts("POST", true, true);
    private static final RetrySpec RETRY = new RetrySpec(
            3,
            Duration.ofMillis(100),
            2.0,
            Duration.ofSeconds(1),
            0.0,
            Set.of(408, 429, 500, 502, 503, 504),
            Set.of("GET"),
            Duration.ofSeconds(60),
            1024,
            true,
            true);
    private static final CircuitBreakerSpec BREAKER = new CircuitBreakerSpec(
            true,
            50,
            SlidingWindowType.COUNT_BASED,
            4,
            4,
            Duration.ofSeconds(30),
            1,
            100,
            Duration.ofMinutes(10),
            Set.of(500, 502, 503, 504));

    private final ManualTime time = new ManualTime(5_000_000_000L);
    private final FakeClock clock = new FakeClock();
    private final List<Clearance> released = new ArrayList<>();

    private RouteGuard guard(Provider provider) {
        ProviderRules rules = ProviderRules.of(provider);
        RetryPolicy policy = new RetryPolicy(
                "llm", RETRY, new ServerHints(clock), new SplittableRandom(1), time, RetryRegistry.ofDefaults());
        UpstreamTarget target = new UpstreamTarget(
                "llm",
                new UpstreamSpec(URI.create("https://api.example"), true, "api.example", 443, ""),
                provider,
                Map.of(),
                Optional.empty(),
                Map.of());
        // One breaker for the whole upstream, whatever the model, so these tests see what the provider records.
        BreakerSet breakers = new BreakerSet(
                new RouteBreaker("llm", rules.breakerSpec(BREAKER), clock, CircuitBreakerRegistry.ofDefaults()),
                false,
                model -> {
                    throw new AssertionError("no model breakers here");
                });
        UpstreamGuard upstream = new UpstreamGuard(
                0, target, rules, Optional.of(breakers), Optional.of(new RateLimitGate(time, Gates.CLOSE_ONLY)));
        return new RouteGuard(
                List.of(upstream),
                policy,
                new RetryBudget(RetryBudgetSpec.DEFAULT),
                FallbackClass.ALL,
                Strategy.FAILOVER,
                RETRY.maxRetryAfter().toMillis(),
                time,
                Optional.empty());
    }

    private RequestAdmission admit(RouteGuard guard, String path, Map<String, String> headers, String body) {
        OutgoingRequest outgoing = new OutgoingRequest() {
            @Override
            public String header(String name) {
                return headers.get(name);
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public java.io.InputStream bodyStream() {
                return new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
            }
        };
        RequestAdmission admission = guard.admit(Long.MAX_VALUE, outgoing, time, DIRECT);
        admission.bodyRead(POST_WITH_KEY);
        return admission;
    }

    private RequestAdmission anthropic(RouteGuard guard, String key, String model) {
        return admit(guard, "/v1/messages", Map.of("x-api-key", key), "{\"model\":\"" + model + "\"}");
    }

    private RequestAdmission azure(RouteGuard guard, String deployment) {
        return admit(
                guard,
                "/openai/deployments/" + deployment + "/chat/completions",
                Map.of("api-key", "azure-key"),
                "{\"messages\":[]}");
    }

    private Clearance clear(RequestAdmission admission) {
        return admission.clearAttempt(released::add);
    }

    private RetryDecision answer(RequestAdmission admission, ResponseHead head) {
        assertThat(clear(admission)).isEqualTo(Clearance.GO);
        admission.onHeaders(head.status());
        return admission.onResponse(head);
    }

    @Test
    void anAnthropic429WithAnExhaustedQuotaHoldsItsKeyAndModelUntilTheReset() {
        RouteGuard guard = guard(Provider.ANTHROPIC);
        // The clock reads 2025-01-01T00:00:00Z: the token quota refills in 4 s, requests in 2 s (not exhausted).
        RetryDecision decision = answer(
                anthropic(guard, "sk-a", "claude-opus"),
                TestHead.of(
                        429,
                        "anthropic-ratelimit-tokens-remaining",
                        "0",
                        "anthropic-ratelimit-tokens-reset",
                        "2025-01-01T00:00:04Z",
                        "anthropic-ratelimit-requests-remaining",
                        "3",
                        "anthropic-ratelimit-requests-reset",
                        "2025-01-01T00:00:02Z"));

        assertThat(decision).isInstanceOf(RetryDecision.Retry.class);
        assertThat(((RetryDecision.Retry) decision).delayMillis()).isEqualTo(4_000);
        assertThat(clear(anthropic(guard, "sk-a", "claude-opus"))).isEqualTo(new Clearance.Wait(4_000));
        assertThat(clear(anthropic(guard, "sk-a", "claude-haiku"))).isEqualTo(Clearance.GO);
        assertThat(clear(anthropic(guard, "sk-b", "claude-opus"))).isEqualTo(Clearance.GO);
    }

    @Test
    void anAnthropicSpendLimitIsAnsweredAtOnceAndClosesNothing() {
        RouteGuard guard = guard(Provider.ANTHROPIC);

        RetryDecision decision = answer(
                anthropic(guard, "sk-a", "claude-opus"),
                TestHead.of(429).error("rate_limit_error", "enforced_spend_limit_reached"));

        assertThat(decision).isInstanceOf(RetryDecision.Stop.class);
        assertThat(((RetryDecision.Stop) decision).reason()).isEqualTo(StopReason.INSUFFICIENT_QUOTA);
        assertThat(clear(anthropic(guard, "sk-a", "claude-opus"))).isEqualTo(Clearance.GO);
    }

    @Test
    void anAnthropic529IsRetriedAndCountsAgainstTheBreaker() {
        RouteGuard guard = guard(Provider.ANTHROPIC);
        for (int i = 0; i < 3; i++) {
            RequestAdmission admission = anthropic(guard, "sk-a", "m" + i);
            assertThat(answer(admission, TestHead.of(529))).isInstanceOf(RetryDecision.Retry.class);
            admission.release();
        }

        RetryDecision fourth = answer(anthropic(guard, "sk-a", "m"), TestHead.of(529));

        assertThat(guard.breaker().orElseThrow().isOpen()).isTrue();
        assertThat(((RetryDecision.Stop) fourth).reason()).isEqualTo(StopReason.CIRCUIT_OPEN);
        assertThat(clear(anthropic(guard, "sk-a", "m"))).isInstanceOf(Clearance.Refuse.class);
    }

    @Test
    void aGenericRoutesBreakerIgnores529() {
        RouteGuard guard = guard(Provider.GENERIC);
        for (int i = 0; i < 4; i++) {
            answer(anthropic(guard, "sk-a", "m"), TestHead.of(529));
        }

        assertThat(guard.breaker().orElseThrow().isOpen()).isFalse();
    }

    @Test
    void anAzure429HoldsItsDeploymentButNotAnotherOfTheSameKey() {
        RouteGuard guard = guard(Provider.AZURE_OPENAI);
        answer(azure(guard, "gpt-4o"), TestHead.of(429, "retry-after-ms", "3000"));

        assertThat(clear(azure(guard, "gpt-4o"))).isEqualTo(new Clearance.Wait(3_000));
        assertThat(clear(azure(guard, "gpt-4o-mini"))).isEqualTo(Clearance.GO);
        time.advance(3_000);
        assertThat(released).containsExactly(Clearance.GO);
    }
}
