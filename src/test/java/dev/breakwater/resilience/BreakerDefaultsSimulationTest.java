package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.breakwater.config.CircuitBreakerSpec;
import dev.breakwater.config.ConfigException;
import dev.breakwater.config.ConfigLoader;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The built-in circuit-breaker defaults, driven through the real {@link RouteBreaker} with seeded random
 * failures: noise (20 % failing) must practically never open it, a real outage (60 % and more) must open it within
 * a few dozen calls, and an upstream that comes back with 20 % noise must close it again at the first half-open
 * round. The measured figures are printed (and quoted in docs/breaker-and-budget.md).
 */
class BreakerDefaultsSimulationTest {
    private static final long SEED = 20261129L;
    private static Logger breakerLog;
    private static Level breakerLevel;

    private final CircuitBreakerSpec spec = builtinSpec();

    @BeforeAll
    static void quietTransitions() {
        // thousands of runs each log an open/half-open transition; they would bury the test output
        breakerLog = (Logger) LoggerFactory.getLogger("breakwater.breaker");
        breakerLevel = breakerLog.getLevel();
        breakerLog.setLevel(Level.WARN);
    }

    @AfterAll
    static void restoreTransitions() {
        breakerLog.setLevel(breakerLevel);
    }

    /** The defaults as the loader builds them for a route that does not set any. */
    private static CircuitBreakerSpec builtinSpec() {
        try {
            return new ConfigLoader(Map.of())
                    .parse("routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\"}\n", "t.yaml")
                    .routes()
                    .get(0)
                    .circuitBreaker();
        } catch (ConfigException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends up to {@code calls} attempts that fail with probability {@code p}.
     *
     * @return the number of the call after which the breaker was open, or 0 if it never opened
     */
    private static int callsUntilOpen(RouteBreaker breaker, double p, int calls, RandomGenerator random) {
        for (int i = 1; i <= calls; i++) {
            RouteBreaker.Permit permit = breaker.tryAcquire();
            if (permit == null) {
                return i - 1;
            }
            permit.onResponse(random.nextDouble() < p ? 503 : 200);
            if (breaker.circuitBreaker().getState() == State.OPEN) {
                return i;
            }
        }
        return 0;
    }

    @Test
    void noiseOfTwentyPercentNeverOpensIt() {
        RandomGenerator random = new SplittableRandom(SEED);
        int runs = 50;
        int calls = 5_000;
        int opened = 0;
        for (int run = 0; run < runs; run++) {
            if (callsUntilOpen(
                            new RouteBreaker("sim", spec, new FakeClock(), CircuitBreakerRegistry.ofDefaults()),
                            0.20,
                            calls,
                            random)
                    > 0) {
                opened++;
            }
        }
        System.out.printf("breaker defaults, p=0.20: opened in %d of %d runs of %d calls%n", opened, runs, calls);
        assertThat(opened).isZero();
    }

    @Test
    void anOutageOfSixtyPercentOpensItWithinAHundredCalls() {
        RandomGenerator random = new SplittableRandom(SEED);
        int runs = 1_000;
        int[] openedAt = new int[runs];
        for (int run = 0; run < runs; run++) {
            openedAt[run] = callsUntilOpen(
                    new RouteBreaker("sim", spec, new FakeClock(), CircuitBreakerRegistry.ofDefaults()),
                    0.60,
                    1_000,
                    random);
        }
        long within100 = Arrays.stream(openedAt).filter(n -> n > 0 && n <= 100).count();
        int[] sorted = Arrays.stream(openedAt).sorted().toArray();
        System.out.printf(
                "breaker defaults, p=0.60: opened within 100 calls in %d of %d runs; "
                        + "median %d, 99th percentile %d, worst %d calls%n",
                within100, runs, sorted[runs / 2], sorted[runs * 99 / 100], sorted[runs - 1]);
        assertThat(openedAt).doesNotContain(0);
        assertThat(within100).isGreaterThanOrEqualTo(runs * 98L / 100);
        assertThat(sorted[runs - 1]).isLessThanOrEqualTo(300);
        assertThat(sorted[runs / 2]).isEqualTo(spec.minimumNumberOfCalls());
    }

    @Test
    void aDeadUpstreamOpensItAtTheMinimumNumberOfCalls() {
        RandomGenerator random = new SplittableRandom(SEED);
        int runs = 200;
        for (int run = 0; run < runs; run++) {
            assertThat(callsUntilOpen(
                            new RouteBreaker("sim", spec, new FakeClock(), CircuitBreakerRegistry.ofDefaults()),
                            0.95,
                            1_000,
                            random))
                    .isEqualTo(spec.minimumNumberOfCalls());
        }
        System.out.printf(
                "breaker defaults, p=0.95: opened at call %d in all %d runs%n", spec.minimumNumberOfCalls(), runs);
    }

    @Test
    void anUpstreamBackWithTwentyPercentNoiseClosesItAtTheFirstHalfOpenRound() {
        RandomGenerator random = new SplittableRandom(SEED);
        int runs = 1_000;
        int[] rounds = new int[runs];
        for (int run = 0; run < runs; run++) {
            FakeClock clock = new FakeClock();
            RouteBreaker breaker = new RouteBreaker("sim", spec, clock, CircuitBreakerRegistry.ofDefaults());
            assertThat(callsUntilOpen(breaker, 1.0, 1_000, random)).isPositive(); // dead
            rounds[run] = roundsToClose(breaker, clock, random);
        }
        long first = Arrays.stream(rounds).filter(r -> r == 1).count();
        int worst = Arrays.stream(rounds).max().orElseThrow();
        System.out.printf(
                "breaker defaults, back at p=0.20: closed at the first half-open round (%d probes) "
                        + "in %d of %d runs, worst %d rounds%n",
                spec.permittedNumberOfCallsInHalfOpenState(), first, runs, worst);
        assertThat(first).isGreaterThanOrEqualTo(runs * 99L / 100);
        assertThat(worst).isLessThanOrEqualTo(2);
    }

    /** Waits out each open period and sends the half-open probes at p=0.20 until the breaker closes. */
    private int roundsToClose(RouteBreaker breaker, FakeClock clock, RandomGenerator random) {
        for (int round = 1; round <= 10; round++) {
            clock.advance(spec.waitDurationInOpenState().plus(Duration.ofMillis(1)));
            // the first permit after the wait moves the breaker to half-open (the transition is lazy)
            RouteBreaker.Permit permit;
            while ((permit = breaker.tryAcquire()) != null) {
                permit.onResponse(random.nextDouble() < 0.20 ? 503 : 200);
                if (breaker.circuitBreaker().getState() != State.HALF_OPEN) {
                    break;
                }
            }
            if (breaker.circuitBreaker().getState() == State.CLOSED) {
                return round;
            }
        }
        return Integer.MAX_VALUE;
    }
}
