package dev.breakwater.time;

/** A monotonic clock in nanoseconds, injectable so that deadline arithmetic is exact in tests. */
@FunctionalInterface
public interface Ticker {
    /** The current monotonic time in nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** The system ticker, {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
