package dev.breakwater.resilience;

import dev.breakwater.config.RetrySpec;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with randomized jitter, Resilience4j's semantics with an injectable random source.
 *
 * <p>The n-th retry waits {@code min(wait * multiplier^(n-1), max)}, spread uniformly over
 * {@code [d(1-f), d(1+f)]} for randomization factor {@code f}, and never more than {@code max}.
 */
public final class Backoff {
    private final long initialMillis;
    private final double multiplier;
    private final long maxMillis;
    private final double randomizationFactor;
    private final RandomGenerator random;

    public Backoff(
            long initialMillis, double multiplier, long maxMillis, double randomizationFactor, RandomGenerator random) {
        if (initialMillis < 0
                || multiplier < 1.0
                || maxMillis < initialMillis
                || randomizationFactor < 0
                || randomizationFactor >= 1) {
            throw new IllegalArgumentException("invalid backoff: initial=" + initialMillis + " multiplier=" + multiplier
                    + " max=" + maxMillis + " factor=" + randomizationFactor);
        }
        this.initialMillis = initialMillis;
        this.multiplier = multiplier;
        this.maxMillis = maxMillis;
        this.randomizationFactor = randomizationFactor;
        this.random = random;
    }

    /** The backoff a route's retry spec describes. */
    public static Backoff of(RetrySpec spec, RandomGenerator random) {
        return new Backoff(
                spec.waitDuration().toMillis(),
                spec.backoffMultiplier(),
                spec.maxWaitDuration().toMillis(),
                spec.randomizedWaitFactor(),
                random);
    }

    /**
     * The wait before retry number {@code retry} (1 for the first retry).
     *
     * @return milliseconds, between 0 and the configured maximum
     */
    public long delayMillis(int retry) {
        double base = initialMillis * Math.pow(multiplier, Math.max(0, retry - 1));
        double capped = Math.min(base, maxMillis);
        if (randomizationFactor == 0 || capped == 0) {
            return Math.round(capped);
        }
        double delta = randomizationFactor * capped;
        double jittered = capped - delta + random.nextDouble() * 2 * delta;
        return Math.min(maxMillis, Math.round(jittered));
    }
}
