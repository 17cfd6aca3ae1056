package dev.breakwater.resilience;

import dev.breakwater.config.UpstreamTarget;
import java.util.Optional;

/**
 * What decides whether one upstream of a route (its primary or a fallback) can take an attempt now: its own
 * circuit breaker and rate-limit gate, and its provider's rules. It also remembers the capacity the upstream last
 * reported, for {@code strategy: spread}.
 *
 * <p>Shared by every event loop; the breaker and gate are thread-safe, the capacity a racy but harmless hint.
 */
public final class UpstreamGuard {
    private final int index;
    private final UpstreamTarget target;
    private final String address;
    private final ProviderRules provider;
    private final Optional<BreakerSet> breakers;
    private final Optional<RateLimitGate> gate;
    /** Requests (or, when the upstream reports none, tokens) left in its window as last reported; -1 unknown. */
    private volatile long remainingCapacity = -1;
    /** True once the upstream answered at all, with or without capacity headers. */
    private volatile boolean answered;
    /** True once an attempt was sent to it. */
    private volatile boolean dispatched;

    /**
     * @param index the upstream's place in the route's order, 0 for the primary
     */
    public UpstreamGuard(
            int index,
            UpstreamTarget target,
            ProviderRules provider,
            Optional<BreakerSet> breakers,
            Optional<RateLimitGate> gate) {
        this.index = index;
        this.target = target;
        this.address = target.upstream().host() + ":" + target.upstream().port();
        this.provider = provider;
        this.breakers = breakers;
        this.gate = gate;
    }

    /** The upstream's place in the route's order, 0 for the primary. */
    public int index() {
        return index;
    }

    /** The upstream's name: the route's for the primary. */
    public String name() {
        return target.name();
    }

    /** Where and how to send attempts to this upstream. */
    public UpstreamTarget target() {
        return target;
    }

    /** What this upstream's API adds to the decisions. */
    public ProviderRules provider() {
        return provider;
    }

    /** The upstream's model-less circuit breaker (its only one for a generic provider), when enabled. */
    public Optional<RouteBreaker> breaker() {
        return breakers.map(BreakerSet::shared);
    }

    /** All of the upstream's circuit breakers (one per model for an LLM provider), when enabled. */
    public Optional<BreakerSet> breakers() {
        return breakers;
    }

    /** The breaker of requests for {@code model} (null: none named), made on first use, when enabled. */
    Optional<RouteBreaker> breakerFor(String model) {
        return breakers.map(set -> set.forModel(model));
    }

    /** As {@link #breakerFor}, without making a breaker: for looking, not for sending. */
    Optional<RouteBreaker> peekBreaker(String model) {
        return breakers.map(set -> set.peek(model));
    }

    /** An attempt goes to this upstream: one request less left until it reports again (for {@code spread}). */
    void dispatched() {
        dispatched = true;
        long capacity = remainingCapacity;
        if (capacity > 0) {
            remainingCapacity = capacity - 1; // racy by design: a hint, corrected by the next answer
        }
    }

    /** The upstream's rate-limit gate, when enabled. */
    public Optional<RateLimitGate> gate() {
        return gate;
    }

    /** The capacity the upstream last reported, or -1 when unknown. */
    public long remainingCapacity() {
        return remainingCapacity;
    }

    /** {@code host:port}, part of every rate-limit key. */
    public String address() {
        return address;
    }

    /**
     * How {@code strategy: spread} ranks this upstream: the capacity it reported, less the attempts sent since;
     * before its first attempt the highest rank, so every upstream is tried once and reports; without capacity
     * headers the lowest.
     */
    long spreadRank() {
        long capacity = remainingCapacity;
        return capacity >= 0 ? capacity : answered || dispatched ? -1 : Long.MAX_VALUE;
    }

    /** Remembers the capacity an answer of this upstream reported, if it reported any. */
    void observeCapacity(ResponseHead head) {
        answered = true;
        long requests = remaining(head, "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining");
        long capacity = requests >= 0
                ? requests
                : remaining(head, "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining");
        if (capacity >= 0) {
            remainingCapacity = capacity;
        }
    }

    /**
     * Remembers the capacity an open session reported (a Realtime {@code rate_limits.updated} event): requests
     * left, else tokens left, as for a response's headers.
     */
    void observeCapacity(BudgetReport report) {
        long capacity = report.requestsRemaining() >= 0 ? report.requestsRemaining() : report.tokensRemaining();
        if (capacity >= 0) {
            remainingCapacity = capacity;
        }
    }

    private static long remaining(ResponseHead head, String... names) {
        for (String name : names) {
            long count = BudgetHeaders.count(head.header(name));
            if (count >= 0) {
                return count;
            }
        }
        return -1;
    }
}
