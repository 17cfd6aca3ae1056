package dev.breakwater.resilience;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A hand-driven clock for tests: time moves only when {@link #advance} is called. Thread-safe. */
final class FakeClock extends Clock {
    private final ZoneId zone;
    private volatile Instant now;

    FakeClock() {
        this(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    }

    FakeClock(Instant start, ZoneId zone) {
        this.now = start;
        this.zone = zone;
    }

    /** Moves time forward (or back, with a negative duration). */
    synchronized void advance(Duration duration) {
        now = now.plus(duration);
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        // A view sharing nothing would stop following advance(); tests only use UTC.
        return zone.equals(this.zone)
                ? this
                : new Clock() {
                    @Override
                    public ZoneId getZone() {
                        return zone;
                    }

                    @Override
                    public Clock withZone(ZoneId other) {
                        return FakeClock.this.withZone(other);
                    }

                    @Override
                    public Instant instant() {
                        return FakeClock.this.instant();
                    }
                };
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public long millis() {
        return now.toEpochMilli();
    }
}
