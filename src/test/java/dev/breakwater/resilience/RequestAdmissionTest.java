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
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The admission decisions of one route, driven by hand-moved time without Vert.x: breaker refusals, the retry
 * budget, the rate-limit gate and its keys, and what {@link RequestAdmission#release()} gives back.
 */
class RequestAdmissionTest {
    private static final Executor DIRECT = Runnable::run;
    private static final RequestFacts GET = new RequestFacts("GET", false, true);
    private static final RetrySpec RETRY = new RetrySpec(
            3,
            Duration.ofMillis(100),
            2.0,
            Duration.ofSeconds(1),
            0.0,
            Set.of(429, 503),
            Set.of("GET"),
            Duration.ofSeconds(60),
            1024,
            true,
            true);
    private static final CircuitBreakerSpec BREAKER = new CircuitBreakerSpec(
            true,
            50,
            SlidingWindowType.COUNT_BASED,
            10,
            4,
            Duration.ofSeconds(30),
            1,
            100,
            Duration.ofMinutes(10),
            Set.of(500, 502, 503, 504));

    /** A request that is still uploading, or whose body was streamed through: nothing to read a key from. */
    private static final OutgoingRequest NO_HEADERS_NO_BODY = new OutgoingRequest() {
        @Override
        public String header(String name) {
            return null;
        }

        @Override
        public java.io.InputStream bodyStream() {
            return null;
        }
    };

    private final ManualTime time = new ManualTime(5_000_000_000L);
    private final FakeClock clock = new FakeClock();
    private final List<Clearance> released = new ArrayList<>();

    private RouteGuard guard(Provider provider, RetryBudgetSpec budget) {
        return guard(provider, budget, FallbackClass.ALL, Strategy.FAILOVER, List.of());
    }

    private static UpstreamTarget target(String name, String host, Provider provider, Map<String, String> headers) {
        UpstreamSpec spec = new UpstreamSpec(URI.create("https://" + host), true, host, 443, "");
        return new UpstreamTarget(name, spec, provider, headers, Optional.empty(), Map.of());
    }

    private RouteGuard guard(
            Provider provider,
            RetryBudgetSpec budget,
            Set<FallbackClass> fallbackOn,
            Strategy strategy,
            List<UpstreamTarget> fallbacks) {
        RetryPolicy policy = new RetryPolicy(
                "chat", RETRY, new ServerHints(clock), new SplittableRandom(1), time, RetryRegistry.ofDefaults());
        List<UpstreamTarget> targets = new ArrayList<>();
        targets.add(target("chat", "api.example", provider, Map.of()));
        targets.addAll(fallbacks);
        List<UpstreamGuard> upstreams = new ArrayList<>();
        for (UpstreamTarget t : targets) {
            upstreams.add(new UpstreamGuard(
                    upstreams.size(),
                    t,
                    ProviderRules.of(t.provider()),
                    Optional.of(new BreakerSet(
                            new RouteBreaker(t.name(), BREAKER, clock, CircuitBreakerRegistry.ofDefaults()),
                            t.provider() != Provider.GENERIC,
                            model -> new RouteBreaker(
                                    t.name() + "[" + model + "]",
                                    BREAKER,
                                    clock,
                                    CircuitBreakerRegistry.ofDefaults()))),
                    Optional.of(new RateLimitGate(time, Gates.CLOSE_ONLY))));
        }
        return new RouteGuard(
                upstreams,
                policy,
                new RetryBudget(budget),
                fallbackOn,
                strategy,
                RETRY.maxRetryAfter().toMillis(),
                time,
                Optional.empty());
    }

    private RouteGuard guard() {
        return guard(Provider.GENERIC, RetryBudgetSpec.DEFAULT);
    }

    private RequestAdmission admit(RouteGuard guard, Map<String, String> headers, String body) {
        OutgoingRequest outgoing = new OutgoingRequest() {
            @Override
            public String header(String name) {
                return headers.get(name);
            }

            @Override
            public java.io.InputStream bodyStream() {
                return new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
            }
        };
        RequestAdmission admission = guard.admit(Long.MAX_VALUE, outgoing, time, DIRECT);
        admission.bodyRead(GET);
        return admission;
    }

    private RequestAdmission admit(RouteGuard guard) {
        return admit(guard, Map.of("authorization", "Bearer sk-a"), "");
    }

    private Clearance clear(RequestAdmission admission) {
        return admission.clearAttempt(released::add);
    }

    /** Sends one attempt and answers it with {@code head}. */
    private RetryDecision answer(RequestAdmission admission, ResponseHead head) {
        assertThat(clear(admission)).isEqualTo(Clearance.GO);
        admission.onHeaders(head.status());
        return admission.onResponse(head);
    }

    @Nested
    class Breaker {
        @Test
        void anOpenBreakerRefusesTheAttemptWithItsWaitBeforeTheGateIsAsked() {
            RouteGuard guard = guard();
            guard.gate().orElseThrow().close(GateKeys.of("api.example:443", "Bearer sk-a", null), 10_000, time);
            guard.breaker().orElseThrow().circuitBreaker().transitionToOpenState();

            Clearance clearance = clear(admit(guard));

            assertThat(clearance).isEqualTo(new Clearance.Refuse(new Refusal.CircuitOpen(30, false)));
            assertThat(guard.gate().orElseThrow().held()).isZero();
        }

        @Test
        void aBreakerForcedOpenSaysSo() {
            RouteGuard guard = guard();
            guard.breaker().orElseThrow().circuitBreaker().transitionToForcedOpenState();

            assertThat(clear(admit(guard))).isEqualTo(new Clearance.Refuse(new Refusal.CircuitOpen(30, true)));
        }

        @Test
        void aRetryIsStoppedWhenTheBreakerOpenedMeanwhile() {
            RouteGuard guard = guard();
            RequestAdmission admission = admit(guard);
            assertThat(clear(admission)).isEqualTo(Clearance.GO);
            guard.breaker().orElseThrow().circuitBreaker().transitionToOpenState();
            admission.onHeaders(503);

            RetryDecision decision = admission.onResponse(TestHead.of(503));

            assertThat(decision).isInstanceOf(RetryDecision.Stop.class);
            assertThat(((RetryDecision.Stop) decision).reason()).isEqualTo(StopReason.CIRCUIT_OPEN);
            assertThat(admission.circuitOpenRefusal()).isEqualTo(new Refusal.CircuitOpen(30, false));
            assertThat(guard.budget().retriesInFlight()).isZero();
        }

        @Test
        void eachAttemptsOutcomeReachesTheBreakerOnceAndAnAbandonedOneNever() {
            RouteGuard guard = guard();
            RequestAdmission first = admit(guard);
            answer(first, TestHead.of(503));
            RequestAdmission second = admit(guard);
            assertThat(clear(second)).isEqualTo(Clearance.GO);
            second.onFailure(FailureKind.CONNECT_FAILURE, new java.net.ConnectException("refused"));
            RequestAdmission third = admit(guard);
            assertThat(clear(third)).isEqualTo(Clearance.GO);
            third.onAttemptAbandoned();
            third.release();
            first.release();
            second.release();

            var metrics = guard.breaker().orElseThrow().circuitBreaker().getMetrics();
            assertThat(metrics.getNumberOfFailedCalls()).isEqualTo(2);
            assertThat(metrics.getNumberOfBufferedCalls()).isEqualTo(2);
        }

        @Test
        void aBreakerRefusalAfterTheGateLetsTheNextHeldRequestGo() {
            RouteGuard guard = guard();
            RateLimitGate gate = guard.gate().orElseThrow();
            RequestAdmission first = admit(guard);
            answer(first, TestHead.of(429, "retry-after", "2"));
            RequestAdmission[] held = {admit(guard), admit(guard), admit(guard)};
            for (RequestAdmission admission : held) {
                assertThat(clear(admission)).isInstanceOf(Clearance.Wait.class);
            }
            guard.breaker().orElseThrow().circuitBreaker().transitionToForcedOpenState();

            time.advance(2_000);

            // Two go in the first wave, both refused by the breaker; each refusal lets one more go at once.
            assertThat(released)
                    .hasSize(3)
                    .allSatisfy(c -> assertThat(c).isEqualTo(new Clearance.Refuse(new Refusal.CircuitOpen(30, true))));
            assertThat(gate.held()).isZero();
        }
    }

    @Nested
    class Budget {
        @Test
        void aRetryWithoutAFreePlaceInTheBudgetStops() {
            RouteGuard guard = guard(Provider.GENERIC, new RetryBudgetSpec(20, 1));
            RequestAdmission first = admit(guard);
            RequestAdmission second = admit(guard);

            assertThat(answer(first, TestHead.of(503))).isInstanceOf(RetryDecision.Retry.class);
            RetryDecision refused = answer(second, TestHead.of(503));

            assertThat(refused).isInstanceOf(RetryDecision.Stop.class);
            assertThat(((RetryDecision.Stop) refused).reason()).isEqualTo(StopReason.RETRY_BUDGET_EXHAUSTED);
            assertThat(guard.budget().refusedRetries()).isEqualTo(1);
        }

        @Test
        void aRetrysPlaceIsFreedWhenItsAttemptIsAnswered() {
            RouteGuard guard = guard(Provider.GENERIC, new RetryBudgetSpec(20, 1));
            RequestAdmission first = admit(guard);
            RequestAdmission second = admit(guard);
            answer(first, TestHead.of(503));
            time.advance(100);

            answer(first, TestHead.of(200));

            assertThat(answer(second, TestHead.of(503))).isInstanceOf(RetryDecision.Retry.class);
        }

        @Test
        void aRequestCountsAmongTheRequestsInFlightFromArrivalUntilRelease() {
            RouteGuard guard = guard();
            admit(guard);

            RequestAdmission stillUploading = guard.admit(Long.MAX_VALUE, NO_HEADERS_NO_BODY, time, DIRECT);

            assertThat(guard.budget().requestsInFlight()).isEqualTo(2);
            stillUploading.release();
            assertThat(guard.budget().requestsInFlight()).isEqualTo(1);
        }

        @Test
        void releaseGivesBackTheRequestAndItsRetryPlaceOnce() {
            RouteGuard guard = guard();
            RequestAdmission admission = admit(guard);
            answer(admission, TestHead.of(503));
            assertThat(guard.budget().requestsInFlight()).isEqualTo(1);
            assertThat(guard.budget().retriesInFlight()).isEqualTo(1);

            admission.release();
            admission.release();

            assertThat(guard.budget().requestsInFlight()).isZero();
            assertThat(guard.budget().retriesInFlight()).isZero();
        }
    }

    @Nested
    class Gate {
        @Test
        void a429WithAHintHoldsTheNextRequestOfTheKeyUntilTheGateOpens() {
            RouteGuard guard = guard();
            RetryDecision decision = answer(admit(guard), TestHead.of(429, "retry-after", "2"));
            assertThat(decision).isInstanceOf(RetryDecision.Retry.class);

            RequestAdmission next = admit(guard);
            assertThat(clear(next)).isEqualTo(new Clearance.Wait(2_000));
            time.advance(1_999);
            assertThat(released).isEmpty();
            time.advance(1);

            assertThat(released).containsExactly(Clearance.GO);
        }

        @Test
        void aGateClosedLongerThanTheRequestMayWaitRefusesWithTheSecondsLeft() {
            RouteGuard guard = guard();
            RetryDecision decision = answer(admit(guard), TestHead.of(429, "retry-after", "120"));
            assertThat(((RetryDecision.Stop) decision).reason()).isEqualTo(StopReason.RETRY_AFTER_TOO_LONG);

            assertThat(clear(admit(guard))).isEqualTo(new Clearance.Refuse(new Refusal.RateLimited(120, false)));
        }

        @Test
        void anAbsurdHintClosesTheGateForAnHourAtMost() {
            RouteGuard guard = guard();
            answer(admit(guard), TestHead.of(429, "retry-after", "99999999"));

            assertThat(clear(admit(guard))).isEqualTo(new Clearance.Refuse(new Refusal.RateLimited(3_600, false)));
        }

        @Test
        void aLoneSubSecondHintDelaysOnlyItsOwnRetry() {
            RouteGuard guard = guard();
            answer(admit(guard), TestHead.of(429, "retry-after-ms", "300"));

            assertThat(clear(admit(guard))).isEqualTo(Clearance.GO);
        }

        @Test
        void a429ForOneApiKeyDoesNotHoldTheSameModelForAnotherKey() {
            RouteGuard guard = guard(Provider.OPENAI, RetryBudgetSpec.DEFAULT);
            String body = "{\"model\":\"gpt-4o\",\"messages\":[]}";
            answer(admit(guard, Map.of("authorization", "Bearer sk-a"), body), TestHead.of(429, "retry-after", "5"));

            assertThat(clear(admit(guard, Map.of("authorization", "Bearer sk-b"), body)))
                    .isEqualTo(Clearance.GO);
            assertThat(clear(admit(guard, Map.of("api-key", "azure-key"), body)))
                    .isEqualTo(Clearance.GO);
            assertThat(clear(admit(guard, Map.of("authorization", "Bearer sk-a"), body)))
                    .isEqualTo(new Clearance.Wait(5_000));
        }

        @Test
        void a429ForOneModelDoesNotHoldAnotherModelOfTheSameKey() {
            RouteGuard guard = guard(Provider.OPENAI, RetryBudgetSpec.DEFAULT);
            Map<String, String> key = Map.of("authorization", "Bearer sk-a");
            answer(admit(guard, key, "{\"model\":\"gpt-4o\"}"), TestHead.of(429, "retry-after", "5"));

            assertThat(clear(admit(guard, key, "{\"model\":\"gpt-4o-mini\"}"))).isEqualTo(Clearance.GO);
            assertThat(clear(admit(guard, key, "{\"model\":\"gpt-4o\"}"))).isEqualTo(new Clearance.Wait(5_000));
        }

        @Test
        void releasingAHeldRequestLeavesTheQueueAndNeverResumesIt() {
            RouteGuard guard = guard();
            answer(admit(guard), TestHead.of(429, "retry-after", "2"));
            RequestAdmission held = admit(guard);
            assertThat(clear(held)).isInstanceOf(Clearance.Wait.class);

            held.release();
            time.advance(2_000);

            assertThat(guard.gate().orElseThrow().held()).isZero();
            assertThat(released).isEmpty();
            assertThat(guard.budget().requestsInFlight()).isEqualTo(1);
        }
    }

    @Nested
    class Fallbacks {
        private final UpstreamTarget second =
                target("second", "api.example", Provider.OPENAI, Map.of("authorization", "Bearer sk-second"));
        private final UpstreamTarget third = target("third", "third.example", Provider.OPENAI, Map.of());

        private RouteGuard withFallbacks(Set<FallbackClass> fallbackOn, UpstreamTarget... fallbacks) {
            return guard(Provider.OPENAI, RetryBudgetSpec.DEFAULT, fallbackOn, Strategy.FAILOVER, List.of(fallbacks));
        }

        private RequestAdmission request(RouteGuard guard, String model) {
            return admit(guard, Map.of("authorization", "Bearer sk-client"), "{\"model\":\"" + model + "\"}");
        }

        private void openBreaker(RouteGuard guard, int upstream, String model) {
            guard.upstreams()
                    .get(upstream)
                    .breakers()
                    .orElseThrow()
                    .forModel(model)
                    .circuitBreaker()
                    .transitionToOpenState();
        }

        @Test
        void oneModelsOpenBreakerDoesNotRefuseAnotherModel() {
            RouteGuard guard = guard(Provider.OPENAI, RetryBudgetSpec.DEFAULT);
            openBreaker(guard, 0, "gpt-4o");

            assertThat(clear(request(guard, "gpt-4o-mini"))).isEqualTo(Clearance.GO);
            assertThat(clear(request(guard, "gpt-4o")))
                    .isEqualTo(new Clearance.Refuse(new Refusal.CircuitOpen(30, false)));
        }

        @Test
        void anOperatorForcingTheSetOpenAlsoHoldsModelsSeenLater() {
            RouteGuard guard = guard(Provider.OPENAI, RetryBudgetSpec.DEFAULT);
            guard.upstreams().get(0).breaker().orElseThrow().circuitBreaker().transitionToForcedOpenState();

            assertThat(clear(request(guard, "never-seen-before")))
                    .isEqualTo(new Clearance.Refuse(new Refusal.CircuitOpen(30, true)));
        }

        @Test
        void aStreamedBodyNeverGoesToAnUpstreamThatWouldRewriteItsModel() {
            UpstreamTarget mapped = new UpstreamTarget(
                    "azure",
                    new UpstreamSpec(URI.create("https://azure.example"), true, "azure.example", 443, ""),
                    Provider.OPENAI,
                    Map.of("api-key", "k"),
                    Optional.empty(),
                    Map.of("gpt-4o", "deployment"));
            RouteGuard guard = withFallbacks(FallbackClass.ALL, mapped);
            // A streamed body is not read for its model: the primary's model-less breaker judges it.
            guard.upstreams().get(0).breaker().orElseThrow().circuitBreaker().transitionToOpenState();
            RequestAdmission streamed = guard.admit(Long.MAX_VALUE, NO_HEADERS_NO_BODY, time, DIRECT);
            streamed.bodyRead(new RequestFacts("POST", false, false));

            assertThat(clear(streamed)).isInstanceOf(Clearance.Refuse.class);
            assertThat(streamed.upstream().name()).isEqualTo("chat");
        }

        @Test
        void aLongRateLimitOnThePrimarySendsTheRetryToTheFallbackWithoutWaiting() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);
            RequestAdmission admission = request(guard, "gpt-4o");

            RetryDecision decision = answer(admission, TestHead.of(429, "retry-after", "20"));

            assertThat(decision).isInstanceOf(RetryDecision.Retry.class);
            assertThat(((RetryDecision.Retry) decision).delayMillis()).isZero();
            assertThat(decision.waitSource()).isEqualTo(WaitSource.FALLBACK);
            assertThat(clear(admission)).isEqualTo(Clearance.GO);
            assertThat(admission.upstream().name()).isEqualTo("second");
        }

        @Test
        void whileThePrimarysWindowIsClosedThatModelGoesStraightToTheFallbackAndOthersStay() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);
            answer(request(guard, "gpt-4o"), TestHead.of(429, "retry-after", "20"));

            RequestAdmission sameModel = request(guard, "gpt-4o");
            RequestAdmission otherModel = request(guard, "gpt-4o-mini");

            assertThat(clear(sameModel)).isEqualTo(Clearance.GO);
            assertThat(sameModel.upstream().name()).isEqualTo("second");
            assertThat(clear(otherModel)).isEqualTo(Clearance.GO);
            assertThat(otherModel.upstream().name()).isEqualTo("chat");
        }

        @Test
        void anOpenPrimaryBreakerSendsAttemptsToTheFallback() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);
            openBreaker(guard, 0, "gpt-4o");
            RequestAdmission admission = request(guard, "gpt-4o");

            assertThat(clear(admission)).isEqualTo(Clearance.GO);
            assertThat(admission.upstream().name()).isEqualTo("second");
        }

        @Test
        void withEveryUpstreamOpenTheBreakerThatReopensFirstAnswers() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);
            openBreaker(guard, 0, "gpt-4o");
            clock.advance(Duration.ofSeconds(10));
            openBreaker(guard, 1, "gpt-4o");

            assertThat(clear(request(guard, "gpt-4o")))
                    .isEqualTo(new Clearance.Refuse(new Refusal.CircuitOpen(20, false)));
        }

        @Test
        void withEveryWindowClosedTheRequestWaitsAtTheGateThatOpensFirst() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);
            RequestAdmission first = request(guard, "gpt-4o");
            answer(first, TestHead.of(429, "retry-after", "20"));
            clear(first);
            first.onHeaders(429);
            first.onResponse(TestHead.of(429, "retry-after", "5"));

            RequestAdmission next = request(guard, "gpt-4o");
            assertThat(clear(next)).isEqualTo(new Clearance.Wait(5_000));
            time.advance(5_000);
            assertThat(released).containsExactly(Clearance.GO);
            assertThat(next.upstream().name()).isEqualTo("second");
        }

        @Test
        void everyUpstreamFailingEndsAfterMaxAttemptsInTotal() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);
            RequestAdmission admission = request(guard, "gpt-4o");
            List<String> upstreams = new ArrayList<>();
            RetryDecision decision;
            do {
                assertThat(clear(admission)).isEqualTo(Clearance.GO);
                upstreams.add(admission.upstream().name());
                admission.onHeaders(503);
                decision = admission.onResponse(TestHead.of(503));
                time.advance(1_000);
            } while (decision instanceof RetryDecision.Retry);

            assertThat(upstreams).containsExactly("chat", "second", "chat");
            assertThat(((RetryDecision.Stop) decision).reason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
        }

        @Test
        void aClientErrorIsNeverAReasonToFallBack() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second);

            RetryDecision decision = answer(request(guard, "gpt-4o"), TestHead.of(400));

            assertThat(((RetryDecision.Stop) decision).reason()).isEqualTo(StopReason.STATUS_NOT_RETRYABLE);
        }

        @Test
        void anOutcomeNotInFallbackOnKeepsTheRequestOnThePrimary() {
            RouteGuard guard = withFallbacks(Set.of(FallbackClass.SERVER_ERROR), second);
            answer(request(guard, "gpt-4o"), TestHead.of(429, "retry-after", "5"));

            assertThat(clear(request(guard, "gpt-4o"))).isEqualTo(new Clearance.Wait(5_000));
        }

        @Test
        void theFallbacksOwnCredentialMakesItsOwnRateLimitKey() {
            RouteGuard guard = withFallbacks(FallbackClass.ALL, second, third);
            RequestAdmission first = request(guard, "gpt-4o");
            answer(first, TestHead.of(429, "retry-after", "20"));
            clear(first);
            assertThat(first.upstream().name()).isEqualTo("second");
            first.onHeaders(429);
            first.onResponse(TestHead.of(429, "retry-after", "20"));

            RequestAdmission next = request(guard, "gpt-4o");
            assertThat(clear(next)).isEqualTo(Clearance.GO);
            assertThat(next.upstream().name()).isEqualTo("third");
        }

        @Test
        void spreadPrefersTheUpstreamReportingMoreCapacity() {
            RouteGuard guard =
                    guard(Provider.OPENAI, RetryBudgetSpec.DEFAULT, FallbackClass.ALL, Strategy.SPREAD, List.of(third));
            RequestAdmission a = request(guard, "gpt-4o");
            answer(a, TestHead.of(200, "x-ratelimit-remaining-requests", "10"));
            RequestAdmission b = request(guard, "gpt-4o");
            assertThat(clear(b)).isEqualTo(Clearance.GO);
            String other = b.upstream().name().equals("chat") ? "third" : "chat";
            b.onHeaders(200);
            b.onResponse(TestHead.of(200, "x-ratelimit-remaining-requests", "500"));
            String richer = b.upstream().name();

            for (int i = 0; i < 5; i++) {
                RequestAdmission next = request(guard, "gpt-4o");
                assertThat(clear(next)).isEqualTo(Clearance.GO);
                assertThat(next.upstream().name()).isEqualTo(richer).isNotEqualTo(other);
            }
        }
    }
}
