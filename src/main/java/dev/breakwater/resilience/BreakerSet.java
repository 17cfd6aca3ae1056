package dev.breakwater.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The circuit breakers of one upstream: one per model for an LLM provider (one model's failures must not refuse a
 * healthy model's calls), created on first use, and one for requests that name no model. The number of model
 * breakers is bounded ({@value #MAX_MODELS}): requests for further models share the model-less one, so a client
 * inventing model names cannot grow memory or metrics without end.
 *
 * <p>An operator's override ({@code open}, {@code close}, {@code reset} on the admin API) applies to every breaker
 * of the set, and a model breaker created later starts forced open while the set is.
 *
 * <p>Shared by every event loop; thread-safe.
 */
public final class BreakerSet {
    static final int MAX_MODELS = 32;
    /** Longer model names (or ones with control characters) are no model a provider has: they share. */
    static final int MAX_MODEL_LENGTH = 100;

    private final RouteBreaker shared;
    private final boolean perModel;
    private final Function<String, RouteBreaker> factory;
    private final Map<String, RouteBreaker> byModel = new ConcurrentHashMap<>();

    /**
     * @param shared the breaker of requests without a model (and of every request when not {@code perModel})
     * @param perModel true for providers whose requests name a model
     * @param factory makes the breaker of a model
     */
    public BreakerSet(RouteBreaker shared, boolean perModel, Function<String, RouteBreaker> factory) {
        this.shared = shared;
        this.perModel = perModel;
        this.factory = factory;
    }

    /** The breaker of requests for {@code model} (null: none named), made on first use. */
    public RouteBreaker forModel(String model) {
        RouteBreaker existing = peek(model);
        if (existing != shared || !ownsBreaker(model) || byModel.size() >= MAX_MODELS) {
            return existing;
        }
        RouteBreaker breaker = byModel.computeIfAbsent(model, factory);
        if (shared.circuitBreaker().getState() == CircuitBreaker.State.FORCED_OPEN
                && breaker.circuitBreaker().getState() != CircuitBreaker.State.FORCED_OPEN) {
            // Checked after the insert: an operator's "open" that iterated all() just before sees this one too.
            breaker.circuitBreaker().transitionToForcedOpenState();
        }
        return breaker;
    }

    /**
     * The breaker {@code model}'s requests use now, without making one: a model never sent yet is judged by the
     * model-less breaker (which it would inherit a forced-open state from).
     */
    public RouteBreaker peek(String model) {
        if (!ownsBreaker(model)) {
            return shared;
        }
        RouteBreaker breaker = byModel.get(model);
        return breaker == null ? shared : breaker;
    }

    private boolean ownsBreaker(String model) {
        return perModel
                && model != null
                && !model.isEmpty()
                && model.length() <= MAX_MODEL_LENGTH
                && noControlCharacter(model);
    }

    /** A plain loop: this runs for every request, and a stream over {@code chars()} allocates each time. */
    private static boolean noControlCharacter(String model) {
        for (int i = 0; i < model.length(); i++) {
            if (Character.isISOControl(model.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The model-less breaker: the one the admin API and route-level views show first. */
    public RouteBreaker shared() {
        return shared;
    }

    /** Every breaker of the set, the model-less one first. */
    public List<RouteBreaker> all() {
        List<RouteBreaker> all = new ArrayList<>(1 + byModel.size());
        all.add(shared);
        all.addAll(byModel.values());
        return all;
    }

    /** The model breakers made so far, by model. */
    public Map<String, RouteBreaker> byModel() {
        return Map.copyOf(byModel);
    }
}
