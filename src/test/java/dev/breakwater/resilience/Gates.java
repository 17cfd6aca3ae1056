package dev.breakwater.resilience;

import dev.breakwater.config.Priority;

/** Gate policies for tests. */
final class Gates {
    /** Closing on 429 only, with the built-in queue bound: the gate before pacing existed. */
    static final GatePolicy CLOSE_ONLY =
            new GatePolicy(true, false, 0.05, 1000, 1024, Priority.NORMAL, FleetLink.LOCAL);

    private Gates() {}
}
