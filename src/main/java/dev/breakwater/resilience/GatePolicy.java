package dev.breakwater.resilience;

import dev.breakwater.config.Priority;

/**
 * What one upstream's {@link RateLimitGate} does.
 *
 * @param closeOn429 true holds a key's requests after a 429 that names a wait ({@code retry.rate-limit-gate})
 * @param pacing true holds attempts that do not fit the budget the upstream last reported
 * @param headroom the share of each reported limit left unused (0 to 0.5)
 * @param maxQueued requests that may wait per key; another one is refused at once
 * @param defaultCompletionTokens the completion tokens assumed for a request whose body names no maximum
 * @param priority the queue priority of a request without an {@code x-breakwater-priority} header
 * @param fleet what is shared with the other instances of a fleet: the pacing budget and closures
 */
public record GatePolicy(
        boolean closeOn429,
        boolean pacing,
        double headroom,
        int maxQueued,
        int defaultCompletionTokens,
        Priority priority,
        FleetLink fleet) {}
