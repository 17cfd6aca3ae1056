package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.config.RetrySpec;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    /** A random source whose nextDouble is always {@code value}. */
    private static RandomGenerator fixed(double value) {
        return new RandomGenerator() {
            @Override
            public double nextDouble() {
                return value;
            }

            @Override
            public long nextLong() {
                throw new UnsupportedOperationException("only nextDouble is expected");
            }
        };
    }

    private static RandomGenerator noRandomAllowed() {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new AssertionError("a backoff without jitter must not draw random numbers");
            }
        };
    }

    @Test
    void firstRetryWaitsTheInitialDuration() {
        Backoff backoff = new Backoff(100, 2.0, 10_000, 0, noRandomAllowed());

        assertThat(backoff.delayMillis(1)).isEqualTo(100);
    }

    @Test
    void eachRetryGrowsByTheMultiplier() {
        Backoff backoff = new Backoff(100, 2.0, 10_000, 0, noRandomAllowed());

        assertThat(backoff.delayMillis(2)).isEqualTo(200);
        assertThat(backoff.delayMillis(3)).isEqualTo(400);
        assertThat(backoff.delayMillis(4)).isEqualTo(800);
    }

    @Test
    void fractionalMultiplierRoundsToTheNearestMillisecond() {
        Backoff backoff = new Backoff(100, 1.5, 10_000, 0, noRandomAllowed());

        assertThat(backoff.delayMillis(2)).isEqualTo(150);
        assertThat(backoff.delayMillis(3)).isEqualTo(225);
        assertThat(backoff.delayMillis(4)).isEqualTo(338); // 337.5 rounds up
    }

    @Test
    void delayIsCappedAtTheMaximum() {
        Backoff backoff = new Backoff(100, 2.0, 1_000, 0, noRandomAllowed());

        assertThat(backoff.delayMillis(4)).isEqualTo(800);
        assertThat(backoff.delayMillis(5)).isEqualTo(1_000);
        assertThat(backoff.delayMillis(6)).isEqualTo(1_000);
        assertThat(backoff.delayMillis(1_000)).isEqualTo(1_000); // no overflow for huge retry numbers
    }

    @Test
    void multiplierOfOneKeepsAConstantDelay() {
        Backoff backoff = new Backoff(250, 1.0, 1_000, 0, noRandomAllowed());

        assertThat(backoff.delayMillis(1)).isEqualTo(250);
        assertThat(backoff.delayMillis(7)).isEqualTo(250);
    }

    @Test
    void zeroInitialWaitNeverDrawsJitterAndStaysZero() {
        Backoff backoff = new Backoff(0, 2.0, 1_000, 0.5, noRandomAllowed());

        assertThat(backoff.delayMillis(1)).isZero();
        assertThat(backoff.delayMillis(5)).isZero();
    }

    @Test
    void lowestRandomValueGivesTheLowerJitterBound() {
        Backoff backoff = new Backoff(100, 2.0, 10_000, 0.5, fixed(0.0));

        assertThat(backoff.delayMillis(1)).isEqualTo(50);
        assertThat(backoff.delayMillis(2)).isEqualTo(100);
    }

    @Test
    void middleRandomValueGivesTheUnjitteredDelay() {
        Backoff backoff = new Backoff(100, 2.0, 10_000, 0.5, fixed(0.5));

        assertThat(backoff.delayMillis(1)).isEqualTo(100);
        assertThat(backoff.delayMillis(3)).isEqualTo(400);
    }

    @Test
    void highestRandomValueApproachesTheUpperJitterBound() {
        Backoff backoff = new Backoff(100, 2.0, 10_000, 0.5, fixed(0.999));

        assertThat(backoff.delayMillis(1)).isEqualTo(150); // 50 + 0.999 * 100 = 149.9
        assertThat(backoff.delayMillis(2)).isEqualTo(300); // 100 + 0.999 * 200 = 299.8
    }

    @Test
    void jitterAboveTheCapIsClampedToTheMaximum() {
        Backoff backoff = new Backoff(100, 2.0, 1_000, 0.5, fixed(0.999));

        assertThat(backoff.delayMillis(5)).isEqualTo(1_000); // 500 + 999 = 1499, clamped
    }

    @Test
    void jitterBelowTheCapIsAppliedToTheCappedDelay() {
        Backoff backoff = new Backoff(100, 2.0, 1_000, 0.5, fixed(0.0));

        assertThat(backoff.delayMillis(5)).isEqualTo(500); // capped 1000, lower bound 1000 * (1 - 0.5)
    }

    @Test
    void seededJitterStaysWithinItsBoundsAndNeverExceedsTheMaximum() {
        double factor = 0.3;
        long max = 3_000;
        Backoff backoff = new Backoff(100, 2.0, max, factor, new SplittableRandom(42));

        for (int i = 0; i < 10_000; i++) {
            int retry = 1 + i % 8;
            double d = Math.min(100 * Math.pow(2, retry - 1), max);
            long delay = backoff.delayMillis(retry);
            assertThat(delay)
                    .as("retry %d, unjittered %s", retry, d)
                    .isBetween(Math.round(d * (1 - factor)), Math.min(max, Math.round(d * (1 + factor))));
        }
    }

    @Test
    void sameSeedGivesTheSameDelays() {
        Backoff a = new Backoff(100, 2.0, 10_000, 0.5, new SplittableRandom(42));
        Backoff b = new Backoff(100, 2.0, 10_000, 0.5, new SplittableRandom(42));

        for (int retry = 1; retry <= 6; retry++) {
            assertThat(a.delayMillis(retry)).isEqualTo(b.delayMillis(retry));
        }
    }

    @Test
    void backoffFromARetrySpecUsesItsDurationsMultiplierAndFactor() {
        RetrySpec spec = new RetrySpec(
                5,
                Duration.ofMillis(200),
                3.0,
                Duration.ofSeconds(1),
                0.0,
                Set.of(503),
                Set.of("GET"),
                Duration.ofSeconds(60),
                1024,
                true,
                true);
        Backoff backoff = Backoff.of(spec, noRandomAllowed());

        assertThat(backoff.delayMillis(1)).isEqualTo(200);
        assertThat(backoff.delayMillis(2)).isEqualTo(600);
        assertThat(backoff.delayMillis(3)).isEqualTo(1_000);
    }

    @Test
    void invalidSettingsAreRejected() {
        RandomGenerator random = new SplittableRandom(1);
        assertThatThrownBy(() -> new Backoff(-1, 2.0, 1_000, 0, random)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 0.5, 1_000, 0, random)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 2.0, 99, 0, random)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 2.0, 1_000, -0.1, random))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 2.0, 1_000, 1.0, random))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
