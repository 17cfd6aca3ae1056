package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.breakwater.observability.AccessLog.Outcome;
import dev.breakwater.observability.RecentTraffic.LatencyBuckets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentTrafficTest {
    /** Starts far from zero and negative, as {@code System.nanoTime} may. */
    private final AtomicLong now = new AtomicLong(-5_000_000_000_000L);

    private final RecentTraffic traffic = new RecentTraffic(now::get);

    private void advanceSeconds(double seconds) {
        now.addAndGet((long) (seconds * 1e9));
    }

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void ratesAreOverTheTimeCoveredSoFarThenOverTheWholeMinute() {
        advanceSeconds(2);
        for (int i = 0; i < 10; i++) {
            traffic.request(200, Outcome.OK, 1, millis(10));
        }
        advanceSeconds(3);

        RecentTraffic.Snapshot early = traffic.snapshot();
        assertThat(early.seconds()).isEqualTo(5.0);
        assertThat(early.requestsPerSecond()).isEqualTo(2.0);

        advanceSeconds(50);
        RecentTraffic.Snapshot later = traffic.snapshot();
        assertThat(later.seconds()).isEqualTo(55.0);
        assertThat(later.requests()).isEqualTo(10);

        advanceSeconds(12.5); // 67.5 s: the window is the slots from 10 s on, so the requests at 2 s have left
        RecentTraffic.Snapshot full = traffic.snapshot();
        assertThat(full.seconds()).isEqualTo(57.5);
        assertThat(full.requests()).isZero();
        assertThat(full.requestsPerSecond()).isZero();
        assertThat(full.p50Nanos()).isEqualTo(-1);
    }

    @Test
    void slotsExpireOneByOneAndAReusedSlotStartsEmpty() {
        traffic.request(200, Outcome.OK, 1, millis(1)); // slot 0 (0-5 s)
        advanceSeconds(5);
        traffic.request(200, Outcome.OK, 1, millis(1)); // slot 1
        traffic.request(200, Outcome.OK, 1, millis(1));
        advanceSeconds(55); // 60 s: slot 0 is out, and its place in the ring is now the current slot's
        assertThat(traffic.snapshot().requests()).isEqualTo(2);

        traffic.request(200, Outcome.OK, 1, millis(1));
        assertThat(traffic.snapshot().requests()).isEqualTo(3);

        advanceSeconds(5); // 65 s: slot 1 is out too
        assertThat(traffic.snapshot().requests()).isEqualTo(1);
        advanceSeconds(3600);
        assertThat(traffic.snapshot().requests()).isZero();
    }

    @Test
    void errorsAreBreakwatersOwnRelayed5xxAndInterruptedNotRelayed4xx() {
        traffic.request(200, Outcome.OK, 1, millis(5));
        traffic.request(429, Outcome.OK, 1, millis(5)); // the upstream's 429, relayed
        traffic.request(404, Outcome.OK, 1, millis(5));
        traffic.request(503, Outcome.UPSTREAM_ERROR, 3, millis(5));
        traffic.request(503, Outcome.PROXY_ERROR, 0, millis(5)); // circuit_open: no attempt made
        traffic.request(429, Outcome.PROXY_ERROR, 0, millis(5)); // Breakwater's own rate_limited
        traffic.request(200, Outcome.INTERRUPTED, 1, millis(5));
        traffic.request(0, Outcome.CLIENT_CLOSED, 1, millis(5));
        advanceSeconds(1);

        RecentTraffic.Snapshot window = traffic.snapshot();
        assertThat(window.requests()).isEqualTo(8);
        assertThat(window.errors()).isEqualTo(4);
        assertThat(window.clientErrors()).isEqualTo(2);
        assertThat(window.errorPercent(window.requests())).isEqualTo(50.0);
        assertThat(window.attemptsPerRequest()).isEqualTo(8 / 8.0);
    }

    @Test
    void attemptsPerRequestCountRetries() {
        traffic.request(200, Outcome.OK, 1, millis(5));
        traffic.request(200, Outcome.OK, 3, millis(5));
        advanceSeconds(1);

        assertThat(traffic.snapshot().attemptsPerRequest()).isEqualTo(2.0);
    }

    @Test
    void anUpstreamsWindowCountsAttemptsAndFailedOnes() {
        traffic.attempt(false, false, millis(100));
        traffic.attempt(true, false, millis(100));
        traffic.attempt(false, true, millis(100));
        traffic.attempt(true, false, -1); // abandoned: counted, not timed
        advanceSeconds(2);

        RecentTraffic.Snapshot window = traffic.snapshot();
        assertThat(window.requests()).isZero();
        assertThat(window.attempts()).isEqualTo(4);
        assertThat(window.attemptsPerSecond()).isEqualTo(2.0);
        assertThat(window.errorPercent(window.attempts())).isEqualTo(50.0);
        assertThat(window.clientErrorPercent(window.attempts())).isEqualTo(25.0);
        assertThat((double) window.p99Nanos()).isCloseTo(millis(100), within(0.25 * millis(100)));
    }

    @Test
    void percentilesAreWithinABucketOfTheTruth() {
        // 1 ms to 1000 ms, evenly: p50 is 500 ms and p99 990 ms.
        for (int ms = 1; ms <= 1000; ms++) {
            traffic.request(200, Outcome.OK, 1, millis(ms));
        }
        advanceSeconds(1);

        RecentTraffic.Snapshot window = traffic.snapshot();
        assertThat((double) window.p50Nanos()).isCloseTo(millis(500), within(0.25 * millis(500)));
        assertThat((double) window.p99Nanos()).isCloseTo(millis(990), within(0.25 * millis(990)));
    }

    @Test
    void oneSlowRequestInAHundredIsTheP99() {
        for (int i = 0; i < 98; i++) {
            traffic.request(200, Outcome.OK, 1, millis(20));
        }
        traffic.request(200, Outcome.OK, 1, millis(4_000));
        traffic.request(200, Outcome.OK, 1, millis(4_000));
        advanceSeconds(1);

        RecentTraffic.Snapshot window = traffic.snapshot();
        assertThat((double) window.p50Nanos()).isCloseTo(millis(20), within(0.25 * millis(20)));
        assertThat((double) window.p99Nanos()).isCloseTo(millis(4_000), within(0.25 * millis(4_000)));
    }

    @Test
    void bucketsAreContiguousAndAtMostAQuarterWide() {
        for (int b = 0; b < LatencyBuckets.COUNT - 1; b++) {
            assertThat(LatencyBuckets.upperMicros(b)).isEqualTo(LatencyBuckets.lowerMicros(b + 1));
            if (b >= 4) {
                long width = LatencyBuckets.upperMicros(b) - LatencyBuckets.lowerMicros(b);
                assertThat(width * 4).isLessThanOrEqualTo(LatencyBuckets.lowerMicros(b));
            }
        }
        for (long micros : new long[] {0, 1, 3, 4, 5, 7, 8, 15, 16, 1000, 123_456, 4_000_000_000L}) {
            int b = LatencyBuckets.of(micros * 1_000);
            assertThat(micros).isBetween(LatencyBuckets.lowerMicros(b), LatencyBuckets.upperMicros(b) - 1);
        }
        assertThat(LatencyBuckets.of(Long.MAX_VALUE)).isEqualTo(LatencyBuckets.COUNT - 1);
        assertThat(LatencyBuckets.of(-5)).isZero();
    }

    @Test
    void aWindowMadeLaterSharesItsRoutesSlotsAndSpan() {
        advanceSeconds(20);
        RecentTraffic upstream = new RecentTraffic(now::get, traffic.originNanos());
        upstream.attempt(false, false, millis(3));
        advanceSeconds(2);

        assertThat(upstream.snapshot().seconds())
                .isEqualTo(traffic.snapshot().seconds())
                .isEqualTo(22.0);
        assertThat(upstream.snapshot().attemptsPerSecond()).isEqualTo(1 / 22.0);
    }
}
