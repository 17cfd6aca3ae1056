package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteBreakerTest {
    private static final Set<Integer> RECORD = Set.of(500, 502, 503, 504);

    private final FakeClock clock = new FakeClock();

    private static CircuitBreakerSpec spec(float slowRate, Duration slowDuration) {
        return new CircuitBreakerSpec(
                true,
                50,
                SlidingWindowType.COUNT_BASED,
                4,
                4,
                Duration.ofSeconds(10),
                2,
                slowRate,
                slowDuration,
                RECORD);
    }

    private RouteBreaker breaker() {
        return new RouteBreaker("chat", spec(100, Duration.ofMinutes(10)), clock, CircuitBreakerRegistry.ofDefaults());
    }

    private static void respond(RouteBreaker breaker, int... statuses) {
        for (int status : statuses) {
            RouteBreaker.Permit permit = breaker.tryAcquire();
            assertThat(permit).as("permit for %d", status).isNotNull();
            permit.onResponse(status);
        }
    }

    private static State state(RouteBreaker breaker) {
        return breaker.circuitBreaker().getState();
    }

    private RouteBreaker opened() {
        RouteBreaker breaker = breaker();
        respond(breaker, 200, 503, 200, 503);
        assertThat(state(breaker)).isEqualTo(State.OPEN);
        return breaker;
    }

    /** Opened, then the wait elapsed (Resilience4j admits a probe strictly after the wait). */
    private RouteBreaker halfOpen() {
        RouteBreaker breaker = opened();
        clock.advance(Duration.ofSeconds(10).plusMillis(1));
        return breaker;
    }

    @Test
    void opensAtTheFailureRateThreshold() {
        RouteBreaker breaker = breaker();
        respond(breaker, 200, 503, 200);
        assertThat(state(breaker)).as("below minimum number of calls").isEqualTo(State.CLOSED);
        assertThat(breaker.isOpen()).isFalse();

        respond(breaker, 503);

        assertThat(state(breaker)).isEqualTo(State.OPEN);
        assertThat(breaker.circuitBreaker().getMetrics().getFailureRate()).isEqualTo(50f);
        assertThat(breaker.isOpen()).isTrue();
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfNotPermittedCalls())
                .isEqualTo(1);
    }

    @Test
    void staysClosedBelowTheThreshold() {
        RouteBreaker breaker = breaker();
        respond(breaker, 200, 200, 503, 200);
        assertThat(state(breaker)).isEqualTo(State.CLOSED);
        assertThat(breaker.circuitBreaker().getMetrics().getFailureRate()).isEqualTo(25f);
    }

    @Test
    void retryAfterCountsDownTheOpenWait() {
        RouteBreaker breaker = opened();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(10);

        clock.advance(Duration.ofSeconds(6));
        assertThat(breaker.retryAfterSeconds()).isEqualTo(4);
        assertThat(breaker.isOpen()).isTrue();
        assertThat(breaker.tryAcquire()).isNull();

        clock.advance(Duration.ofMillis(3_500));
        assertThat(breaker.retryAfterSeconds()).as("rounded up").isEqualTo(1);
    }

    @Test
    void retryAfterIsTheWholeWaitWhenNotOpen() {
        RouteBreaker breaker = breaker();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(10);
    }

    @Test
    void waitElapsedIsNoLongerOpenEvenBeforeTheLazyTransition() {
        RouteBreaker breaker = halfOpen();
        assertThat(state(breaker)).as("lazy: no scheduler thread").isEqualTo(State.OPEN);
        assertThat(breaker.isOpen()).isFalse();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void isOpenAgreesWithTheBreakerAtTheEndOfTheWait() {
        RouteBreaker breaker = opened();
        clock.advance(Duration.ofSeconds(10));

        // At exactly the end of the wait Resilience4j still refuses (it needs now > end), so isOpen must agree.
        assertThat(breaker.isOpen()).isTrue();
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(breaker.isOpen()).isFalse();
        RouteBreaker.Permit probe = breaker.tryAcquire();
        assertThat(probe).isNotNull();
        assertThat(state(breaker)).isEqualTo(State.HALF_OPEN);
    }

    @Test
    void turnsHalfOpenAfterTheWait() {
        RouteBreaker breaker = opened();
        clock.advance(Duration.ofSeconds(10));
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(state(breaker)).isEqualTo(State.OPEN);

        clock.advance(Duration.ofMillis(1));
        RouteBreaker.Permit probe = breaker.tryAcquire();

        assertThat(probe).isNotNull();
        assertThat(state(breaker)).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.isOpen()).isFalse();
    }

    @Test
    void halfOpenAdmitsOnlyThePermittedProbes() {
        RouteBreaker breaker = halfOpen();
        assertThat(breaker.tryAcquire()).isNotNull();
        assertThat(breaker.tryAcquire()).isNotNull();
        assertThat(breaker.tryAcquire()).as("every probe is out").isNull();
        assertThat(state(breaker)).isEqualTo(State.HALF_OPEN);
    }

    @Test
    void halfOpenClosesWhenTheProbesSucceed() {
        RouteBreaker breaker = halfOpen();
        RouteBreaker.Permit first = breaker.tryAcquire();
        RouteBreaker.Permit second = breaker.tryAcquire();

        first.onResponse(200);
        assertThat(state(breaker)).isEqualTo(State.HALF_OPEN);
        second.onResponse(200);

        assertThat(state(breaker)).isEqualTo(State.CLOSED);
        assertThat(breaker.isOpen()).isFalse();
        assertThat(breaker.tryAcquire()).isNotNull();
    }

    @Test
    void halfOpenReopensWhenAProbeFails() {
        RouteBreaker breaker = halfOpen();
        RouteBreaker.Permit first = breaker.tryAcquire();
        RouteBreaker.Permit second = breaker.tryAcquire();

        first.onResponse(200);
        second.onResponse(503);

        assertThat(state(breaker)).isEqualTo(State.OPEN);
        assertThat(breaker.isOpen()).isTrue();
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(breaker.retryAfterSeconds())
                .as("a fresh wait from the reopening")
                .isEqualTo(10);
    }

    @Test
    void releasedProbesGiveTheirPermitsBack() {
        RouteBreaker breaker = halfOpen();
        RouteBreaker.Permit first = breaker.tryAcquire();
        RouteBreaker.Permit second = breaker.tryAcquire();
        assertThat(breaker.tryAcquire()).isNull();

        first.release();
        second.release();

        RouteBreaker.Permit third = breaker.tryAcquire();
        RouteBreaker.Permit fourth = breaker.tryAcquire();
        assertThat(third).isNotNull();
        assertThat(fourth).isNotNull();
        assertThat(breaker.tryAcquire()).as("no permit leaked, none invented").isNull();
        assertThat(state(breaker)).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfBufferedCalls())
                .as("releases are neither successes nor failures")
                .isZero();

        third.onResponse(200);
        fourth.onResponse(200);
        assertThat(state(breaker)).isEqualTo(State.CLOSED);
    }

    @Test
    void aPermitSettlesExactlyOnce() {
        RouteBreaker breaker = halfOpen();
        RouteBreaker.Permit first = breaker.tryAcquire();
        RouteBreaker.Permit second = breaker.tryAcquire();

        first.release();
        first.release();
        first.onResponse(503);
        first.onFailure(new ConnectException());

        assertThat(state(breaker))
                .as("later calls on a released permit do nothing")
                .isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquire())
                .as("released once: exactly one permit back")
                .isNotNull();
        assertThat(breaker.tryAcquire()).isNull();

        second.onResponse(200);
        second.onResponse(200);
        second.release();
        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfSuccessfulCalls())
                .isEqualTo(1);
        assertThat(breaker.tryAcquire())
                .as("no permit given back by release after an outcome")
                .isNull();
    }

    @Test
    void aResponseIsRecordedOnlyOnce() {
        RouteBreaker breaker = breaker();
        RouteBreaker.Permit permit = breaker.tryAcquire();
        permit.onResponse(503);
        permit.onResponse(503);
        permit.onFailure(new ConnectException());
        permit.release();

        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfBufferedCalls())
                .isEqualTo(1);
        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfFailedCalls())
                .isEqualTo(1);
    }

    /**
     * The lock-free window links a new node per call and leaves dropped nodes linked to their successors, so one
     * promoted node keeps every later one alive in the young generation (the archive-pause regression of issue 16).
     */
    @Test
    void theWindowIsAFixedRingThatLeavesNoChainForTheCollectorToKeep() {
        assertThat(breaker().circuitBreaker().getCircuitBreakerConfig().getSlidingWindowSynchronizationStrategy())
                .isEqualTo(CircuitBreakerConfig.SlidingWindowSynchronizationStrategy.SYNCHRONIZED);
    }

    @Test
    void clientErrorsAndBackPressureNeverOpenIt() {
        RouteBreaker breaker = breaker();
        for (int i = 0; i < 20; i++) {
            respond(breaker, 429, 404, 400, 401);
        }

        assertThat(state(breaker)).isEqualTo(State.CLOSED);
        assertThat(breaker.circuitBreaker().getMetrics().getFailureRate()).isEqualTo(0f);
        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfFailedCalls())
                .isZero();
    }

    @Test
    void unlistedServerErrorsAreNotFailures() {
        RouteBreaker breaker = breaker();
        respond(breaker, 501, 505, 501, 505);
        assertThat(state(breaker)).isEqualTo(State.CLOSED);
        assertThat(breaker.circuitBreaker().getMetrics().getFailureRate()).isEqualTo(0f);
    }

    @Test
    void connectFailuresCount() {
        RouteBreaker breaker = breaker();
        respond(breaker, 200, 200);
        breaker.tryAcquire().onFailure(new ConnectException("refused"));
        assertThat(state(breaker)).isEqualTo(State.CLOSED);
        breaker.tryAcquire().onFailure(new IOException("reset"));

        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfFailedCalls())
                .isEqualTo(2);
        assertThat(state(breaker)).isEqualTo(State.OPEN);
    }

    @Test
    void slowCallsOpenIt() {
        RouteBreaker breaker =
                new RouteBreaker("chat", spec(50, Duration.ofSeconds(1)), clock, CircuitBreakerRegistry.ofDefaults());
        for (int i = 0; i < 4; i++) {
            RouteBreaker.Permit permit = breaker.tryAcquire();
            assertThat(permit).isNotNull();
            clock.advance(Duration.ofSeconds(2));
            permit.onResponse(200);
        }

        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfSlowSuccessfulCalls())
                .isEqualTo(4);
        assertThat(breaker.circuitBreaker().getMetrics().getFailureRate()).isEqualTo(0f);
        assertThat(breaker.circuitBreaker().getMetrics().getSlowCallRate()).isEqualTo(100f);
        assertThat(state(breaker)).isEqualTo(State.OPEN);
        assertThat(breaker.isOpen()).isTrue();
    }

    @Test
    void fastCallsAreNotSlow() {
        RouteBreaker breaker =
                new RouteBreaker("chat", spec(50, Duration.ofSeconds(1)), clock, CircuitBreakerRegistry.ofDefaults());
        for (int i = 0; i < 4; i++) {
            RouteBreaker.Permit permit = breaker.tryAcquire();
            clock.advance(Duration.ofMillis(500));
            permit.onResponse(200);
        }

        assertThat(breaker.circuitBreaker().getMetrics().getSlowCallRate()).isEqualTo(0f);
        assertThat(state(breaker)).isEqualTo(State.CLOSED);
    }

    @Test
    void aBrokenStreamIsAFailure() {
        RouteBreaker breaker = breaker();
        respond(breaker, 200, 200, 200);
        breaker.onStreamBroken(new IOException("reset mid-body"));

        assertThat(breaker.circuitBreaker().getMetrics().getNumberOfFailedCalls())
                .isEqualTo(1);
        assertThat(breaker.circuitBreaker().getMetrics().getFailureRate()).isEqualTo(25f);
        assertThat(state(breaker)).isEqualTo(State.CLOSED);

        breaker.onStreamBroken(new IOException("reset mid-body"));
        assertThat(state(breaker)).as("window now 200, 200, broken, broken").isEqualTo(State.OPEN);
    }

    @Test
    void transitionsAreObservableOnTheResilience4jBreaker() {
        RouteBreaker breaker = breaker();
        List<String> transitions = new ArrayList<>();
        breaker.circuitBreaker()
                .getEventPublisher()
                .onStateTransition((CircuitBreakerOnStateTransitionEvent e) ->
                        transitions.add(e.getStateTransition().getFromState() + "->"
                                + e.getStateTransition().getToState()));

        assertThat(breaker.circuitBreaker().getName()).isEqualTo("chat");
        assertThat(breaker.route()).isEqualTo("chat");
        assertThat(breaker.circuitBreaker().getTags()).containsEntry("route", "chat");

        respond(breaker, 503, 503, 503, 503);
        clock.advance(Duration.ofSeconds(10).plusMillis(1));
        respond(breaker, 200, 200);

        assertThat(state(breaker)).isEqualTo(State.CLOSED);
        assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void tellsHowLongUntilAnOpenBreakerLetsAProbeThrough() {
        RouteBreaker breaker = breaker();
        assertThat(breaker.millisUntilHalfOpen()).as("closed").isEqualTo(-1);
        respond(breaker, 200, 503, 200, 503);

        assertThat(breaker.millisUntilHalfOpen()).isEqualTo(10_000);
        clock.advance(Duration.ofSeconds(7));
        assertThat(breaker.millisUntilHalfOpen()).isEqualTo(3_000);
        clock.advance(Duration.ofSeconds(4));
        assertThat(breaker.millisUntilHalfOpen())
                .as("still OPEN until the next attempt")
                .isZero();

        assertThat(breaker.tryAcquire()).isNotNull();
        assertThat(breaker.millisUntilHalfOpen()).as("half-open").isEqualTo(-1);
    }
}
