package dev.breakwater.fleet;

import dev.breakwater.resilience.GateKeys;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * {@code fleet.share-breakers}: when a breaker opens on this instance, the others open their breaker of the same
 * name (route, fallback and model are in the name, which the fleet's shared configuration makes equal); each
 * then half-opens after its own {@code wait-duration-in-open-state} and probes for itself. Names travel as
 * hashes. A breaker opened because another instance said so is not announced again.
 */
final class SharedBreakers {
    private final CircuitBreakerRegistry registry;
    private final BiConsumer<String, Long> announce;
    /** Breakers being opened on another instance's word: their transition is not announced back. */
    private final Set<String> openingOnWord = ConcurrentHashMap.newKeySet();
    /**
     * Openings announced for breakers this instance has not made yet (a model's breaker is made on its first
     * request): hash to the {@link System#nanoTime} the announcing breaker half-opens.
     */
    private final Map<String, Long> pending = new ConcurrentHashMap<>();

    private static final int MAX_PENDING = 1_000;

    /** @param announce publishes the hash of a breaker that opened here, and how long it stays open (ms) */
    SharedBreakers(CircuitBreakerRegistry registry, BiConsumer<String, Long> announce) {
        this.registry = registry;
        this.announce = announce;
        registry.getAllCircuitBreakers().forEach(this::watch);
        registry.getEventPublisher().onEntryAdded(event -> watch(event.getAddedEntry()));
    }

    private void watch(CircuitBreaker breaker) {
        breaker.getEventPublisher().onStateTransition(event -> {
            if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN
                    && !openingOnWord.contains(breaker.getName())) {
                long openMillis = breaker.getCircuitBreakerConfig()
                        .getWaitIntervalFunctionInOpenState()
                        .apply(1);
                announce.accept(GateKeys.fleetHash(breaker.getName()), openMillis);
            }
        });
        Long until = pending.get(GateKeys.fleetHash(breaker.getName()));
        if (until != null && until - System.nanoTime() > 0) {
            open(breaker);
        }
    }

    /**
     * Another instance opened the breaker whose name hashes to {@code hash}, for {@code openMillis}: open ours,
     * if it is closed, or when it is made.
     */
    void opened(String hash, long openMillis) {
        boolean found = false;
        for (CircuitBreaker breaker : registry.getAllCircuitBreakers()) {
            if (GateKeys.fleetHash(breaker.getName()).equals(hash)) {
                found = true;
                open(breaker);
            }
        }
        if (!found && pending.size() < MAX_PENDING) {
            pending.put(hash, System.nanoTime() + openMillis * 1_000_000L);
        }
        pending.values().removeIf(until -> until - System.nanoTime() <= 0);
    }

    private void open(CircuitBreaker breaker) {
        CircuitBreaker.State state = breaker.getState();
        if (state != CircuitBreaker.State.CLOSED && state != CircuitBreaker.State.HALF_OPEN) {
            return;
        }
        openingOnWord.add(breaker.getName());
        try {
            breaker.transitionToOpenState();
        } finally {
            openingOnWord.remove(breaker.getName());
        }
    }
}
