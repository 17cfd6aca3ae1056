package dev.breakwater.observability;

import dev.breakwater.time.Ticker;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The last minute of one route's requests, or of one upstream's attempts, for the status page: counts and a
 * latency histogram in a ring of {@value #SLOTS} slots of {@value #SLOT_SECONDS} s each. Live numbers (rates,
 * error shares, p50 and p99) come from this window, never from totals since start.
 *
 * <p>An <em>error</em> is a request that ended with Breakwater's own error ({@code proxy_error}: unreachable,
 * timeout, {@code circuit_open}, its own {@code rate_limited}...), with a relayed 5xx ({@code upstream_error}), or
 * cut after its response started ({@code interrupted}). A relayed 4xx, 429 included, is the upstream's answer to
 * the client, not a failure of the path: it is counted apart ({@link Snapshot#clientErrors()}). A client that left
 * and a replayed duplicate are neither. For an upstream, a failed attempt is a 5xx or one that got no response
 * (connect failure, reset, timeout); an attempt abandoned because its request ended is neither.
 *
 * <p>Recording is a few atomic increments into preallocated arrays, no lock and no allocation, from any event
 * loop. The slot a second falls in is cleared by the first recording that finds it stale; an increment racing that
 * clear may be lost, which a status page can afford.
 */
public final class RecentTraffic {
    /** Slots in the ring. */
    public static final int SLOTS = 12;
    /** Seconds per slot. */
    public static final int SLOT_SECONDS = 5;

    private static final long SLOT_NANOS = TimeUnit.SECONDS.toNanos(SLOT_SECONDS);
    private static final int REQUESTS = 0;
    private static final int ERRORS = 1;
    private static final int CLIENT_ERRORS = 2;
    private static final int ATTEMPTS = 3;
    private static final int LATENCY = 4;
    private static final int STRIDE = LATENCY + LatencyBuckets.COUNT;

    private final Ticker ticker;
    private final long originNanos;
    /** The slot number (time since origin / slot length) each slot holds, -1 for none yet. */
    private final AtomicLongArray slotNumbers = new AtomicLongArray(SLOTS);

    private final AtomicLongArray counts = new AtomicLongArray(SLOTS * STRIDE);

    /**
     * A window that starts now.
     *
     * @param ticker the monotonic clock the window moves with
     */
    public RecentTraffic(Ticker ticker) {
        this(ticker, ticker.nanoTime());
    }

    /**
     * A window that started at {@code originNanos}, so that windows made later (an upstream's, on its first
     * attempt) have the same slots and cover the same time as their route's.
     */
    public RecentTraffic(Ticker ticker, long originNanos) {
        this.ticker = ticker;
        this.originNanos = originNanos;
        for (int i = 0; i < SLOTS; i++) {
            slotNumbers.set(i, -1);
        }
    }

    /** When the window started, on its ticker. */
    public long originNanos() {
        return originNanos;
    }

    /** Whether a request that ended with {@code outcome} counts as an error (see the class comment). */
    public static boolean isError(AccessLog.Outcome outcome) {
        return outcome == AccessLog.Outcome.PROXY_ERROR
                || outcome == AccessLog.Outcome.UPSTREAM_ERROR
                || outcome == AccessLog.Outcome.INTERRUPTED;
    }

    /**
     * One finished request.
     *
     * @param status the status sent, 0 when none was
     * @param outcome how it ended
     * @param attempts upstream attempts it made
     * @param durationNanos from its arrival to its end
     */
    public void request(int status, AccessLog.Outcome outcome, int attempts, long durationNanos) {
        boolean error = isError(outcome);
        int base = base();
        counts.incrementAndGet(base + REQUESTS);
        if (error) {
            counts.incrementAndGet(base + ERRORS);
        } else if (status >= 400 && status < 500) {
            counts.incrementAndGet(base + CLIENT_ERRORS);
        }
        if (attempts > 0) {
            counts.addAndGet(base + ATTEMPTS, attempts);
        }
        counts.incrementAndGet(base + LATENCY + LatencyBuckets.of(durationNanos));
    }

    /**
     * One finished upstream attempt.
     *
     * @param failed a 5xx, or no response at all
     * @param clientError a 4xx
     * @param latencyNanos how long the upstream took (to the head, or to a held stream's first event, or to the
     *     failure); negative when not measured (an abandoned attempt)
     */
    public void attempt(boolean failed, boolean clientError, long latencyNanos) {
        int base = base();
        counts.incrementAndGet(base + ATTEMPTS);
        if (failed) {
            counts.incrementAndGet(base + ERRORS);
        } else if (clientError) {
            counts.incrementAndGet(base + CLIENT_ERRORS);
        }
        if (latencyNanos >= 0) {
            counts.incrementAndGet(base + LATENCY + LatencyBuckets.of(latencyNanos));
        }
    }

    /** The window now: its counts summed over the slots still in it, and the latency percentiles. */
    public Snapshot snapshot() {
        long sinceOrigin = ticker.nanoTime() - originNanos;
        long current = sinceOrigin / SLOT_NANOS;
        long oldest = Math.max(0, current - SLOTS + 1);
        long[] sums = new long[STRIDE];
        for (int i = 0; i < SLOTS; i++) {
            long number = slotNumbers.get(i);
            if (number < oldest || number > current) {
                continue;
            }
            int base = i * STRIDE;
            for (int k = 0; k < STRIDE; k++) {
                sums[k] += counts.get(base + k);
            }
        }
        long[] histogram = new long[LatencyBuckets.COUNT];
        System.arraycopy(sums, LATENCY, histogram, 0, histogram.length);
        double seconds = (sinceOrigin - oldest * SLOT_NANOS) / 1e9;
        return new Snapshot(
                seconds,
                sums[REQUESTS],
                sums[ERRORS],
                sums[CLIENT_ERRORS],
                sums[ATTEMPTS],
                LatencyBuckets.percentileNanos(histogram, 0.50),
                LatencyBuckets.percentileNanos(histogram, 0.99));
    }

    /** The offset of the slot for now, cleared first when it still holds an older slot's counts. */
    private int base() {
        long number = (ticker.nanoTime() - originNanos) / SLOT_NANOS;
        int slot = (int) (number % SLOTS);
        long held = slotNumbers.get(slot);
        if (held < number && slotNumbers.compareAndSet(slot, held, number)) {
            int base = slot * STRIDE;
            for (int k = 0; k < STRIDE; k++) {
                counts.set(base + k, 0);
            }
        }
        return slot * STRIDE;
    }

    /**
     * What the window holds.
     *
     * @param seconds how much time it covers: a minute, or less in the process's first minute
     * @param requests requests finished (0 in an upstream's window)
     * @param errors requests that ended in error; for an upstream, failed attempts
     * @param clientErrors requests answered with a relayed 4xx (429 included); for an upstream, 4xx attempts
     * @param attempts upstream attempts, of the requests finished (a route) or in all (an upstream)
     * @param p50Nanos the median request duration (for an upstream, attempt latency), estimated within its
     *     histogram bucket; -1 with none
     * @param p99Nanos the 99th percentile, likewise
     */
    public record Snapshot(
            double seconds,
            long requests,
            long errors,
            long clientErrors,
            long attempts,
            long p50Nanos,
            long p99Nanos) {

        /** Requests per second over the window. */
        public double requestsPerSecond() {
            return seconds <= 0 ? 0 : requests / seconds;
        }

        /** Attempts per second over the window. */
        public double attemptsPerSecond() {
            return seconds <= 0 ? 0 : attempts / seconds;
        }

        /** Errors (or failed attempts) as a share of {@code of}, in percent; -1 when {@code of} is 0. */
        public double errorPercent(long of) {
            return of == 0 ? -1 : 100.0 * errors / of;
        }

        /** Relayed 4xx as a share of {@code of}, in percent; -1 when {@code of} is 0. */
        public double clientErrorPercent(long of) {
            return of == 0 ? -1 : 100.0 * clientErrors / of;
        }

        /** Upstream attempts per finished request; -1 with no request. */
        public double attemptsPerRequest() {
            return requests == 0 ? -1 : (double) attempts / requests;
        }
    }

    /**
     * Fixed, log-spaced latency buckets: microseconds below 4 each have one, then every power of two is split in
     * four, so a bucket spans at most a quarter of its lower bound. The last bucket (from about 36 minutes) takes
     * everything longer.
     */
    static final class LatencyBuckets {
        /** Buckets up to the one holding 2^32 - 1 microseconds. */
        static final int COUNT = 4 * 30 + 4;

        private LatencyBuckets() {}

        /** The bucket of a duration. */
        static int of(long nanos) {
            long micros = Math.max(0, nanos / 1_000);
            if (micros < 4) {
                return (int) micros;
            }
            int exponent = 63 - Long.numberOfLeadingZeros(micros);
            int bucket = 4 * (exponent - 1) + (int) ((micros >>> (exponent - 2)) & 3);
            return Math.min(bucket, COUNT - 1);
        }

        /** The lowest duration in microseconds bucket {@code b} holds. */
        static long lowerMicros(int b) {
            if (b < 4) {
                return b;
            }
            return (4L + b % 4) << (b / 4 - 1);
        }

        /** The duration in microseconds just past bucket {@code b}. */
        static long upperMicros(int b) {
            if (b < 4) {
                return b + 1L;
            }
            return (5L + b % 4) << (b / 4 - 1);
        }

        /**
         * The {@code quantile} of the durations counted in {@code histogram}, in nanoseconds, interpolated linearly
         * within its bucket; -1 when the histogram is empty.
         */
        static long percentileNanos(long[] histogram, double quantile) {
            long total = 0;
            for (long count : histogram) {
                total += count;
            }
            if (total == 0) {
                return -1;
            }
            long rank = Math.max(1, (long) Math.ceil(quantile * total));
            long below = 0;
            for (int b = 0; b < histogram.length; b++) {
                long count = histogram[b];
                if (count > 0 && below + count >= rank) {
                    double within = (double) (rank - below) / count;
                    double micros = lowerMicros(b) + within * (upperMicros(b) - lowerMicros(b));
                    return Math.round(micros * 1_000);
                }
                below += count;
            }
            return upperMicros(histogram.length - 1) * 1_000;
        }
    }
}
