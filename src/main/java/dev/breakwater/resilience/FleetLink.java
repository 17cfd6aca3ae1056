package dev.breakwater.resilience;

/**
 * What the rate-limit gates share with the other Breakwaters of a fleet: closures seen by any instance, and the
 * pacing budget of each key. {@link #LOCAL} shares nothing (no {@code fleet:} configured). Implementations are
 * thread-safe and never block.
 */
public interface FleetLink {
    /** No fleet: every key is paced in this process alone, closures stay here. */
    FleetLink LOCAL = new FleetLink() {
        @Override
        public boolean shared() {
            return false;
        }

        @Override
        public KeyPacer pacer(String key, double headroom, Runnable wake, long nowNanos) {
            return new LocalPacer(headroom, nowNanos);
        }

        @Override
        public void watch(String key, RateLimitGate gate) {}

        @Override
        public void closed(String key, long millis) {}
    };

    /** True when there is a fleet: gates then track every key they see, to apply the others' closures. */
    boolean shared();

    /**
     * The pacing budget of {@code key}.
     *
     * @param headroom the share of each limit left unused, 0 to 0.5
     * @param wake called (on any thread) when the budget may have room again, e.g. a lease arrived
     */
    KeyPacer pacer(String key, double headroom, Runnable wake, long nowNanos);

    /** {@code gate} holds requests of {@code key}: deliver the other instances' closures of it there. */
    void watch(String key, RateLimitGate gate);

    /** This instance closed {@code key} for {@code millis} after a 429: tell the others. */
    void closed(String key, long millis);

    /** The fleet's shared {@code Idempotency-Key} records; none without a fleet. */
    default java.util.Optional<SharedKeys> idempotencyKeys() {
        return java.util.Optional.empty();
    }
}
