package dev.breakwater.observability;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code model} label values of the process's meters, bounded: the first {@code limit} models seen keep their
 * name, later ones are counted as {@code other}. A client names any model it likes, so an unbounded label would
 * let one caller grow the scrape (and Prometheus's series count) without end.
 */
public final class ModelLabels {
    /** The label of requests that name no model (tool routes, bodies without one). */
    public static final String NONE = "none";
    /** The label of models seen after the limit was reached. */
    public static final String OTHER = "other";

    private final int limit;
    private final Set<String> kept = ConcurrentHashMap.newKeySet();

    /** @param limit how many distinct models keep their own label (0: every model is {@code other}) */
    public ModelLabels(int limit) {
        this.limit = limit;
    }

    /** The label for {@code model}: itself while there is room or once kept, else {@code other}. */
    public String of(String model) {
        if (model == null || model.isEmpty()) {
            return NONE;
        }
        if (kept.contains(model)) {
            return model;
        }
        // Two threads may both pass the size check and overshoot by one each: the bound is approximate by the
        // number of event loops, which is harmless, and the common path stays a lock-free lookup.
        if (kept.size() < limit) {
            kept.add(model);
            return model;
        }
        return OTHER;
    }

    /** How many models keep their own label. */
    public int size() {
        return kept.size();
    }
}
