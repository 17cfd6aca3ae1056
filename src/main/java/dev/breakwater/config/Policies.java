package dev.breakwater.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sections a route inherits from {@code defaults} key by key. A new policy section (say
 * {@code retry-budget}) is a new {@link SectionSchema} listed here plus a field in {@link RouteSpec}; the
 * {@code defaults} and route key tables pick it up from this list.
 */
final class Policies {
    static final List<SectionSchema> SECTIONS = List.of(
            TimeoutSettings.SCHEMA,
            RetrySettings.SCHEMA,
            RetryBudgetSettings.SCHEMA,
            CircuitBreakerSettings.SCHEMA,
            RateLimitSettings.SCHEMA,
            StreamSettings.SCHEMA,
            IdempotencySettings.SCHEMA);

    private final Map<SectionSchema, Layer> layers;

    private Policies(Map<SectionSchema, Layer> layers) {
        this.layers = layers;
    }

    /** The section keys, for the key tables of {@code defaults} and of a route. */
    static List<String> keys() {
        return SECTIONS.stream().map(SectionSchema::key).toList();
    }

    static Policies builtins() {
        Map<SectionSchema, Layer> layers = new LinkedHashMap<>();
        SECTIONS.forEach(schema -> layers.put(schema, Layer.builtins()));
        return new Policies(layers);
    }

    /** Reads each section of {@code owner} (the {@code defaults} map or a route) over these policies. */
    Policies readOver(Optional<YamlSection> owner) {
        Map<SectionSchema, Layer> read = new LinkedHashMap<>();
        for (SectionSchema schema : SECTIONS) {
            read.put(schema, Layer.read(schema, owner.flatMap(o -> o.get(schema.key())), layers.get(schema)));
        }
        return new Policies(read);
    }

    TimeoutSpec timeouts() {
        return TimeoutSettings.build(layers.get(TimeoutSettings.SCHEMA));
    }

    RetrySpec retry() {
        return RetrySettings.build(layers.get(RetrySettings.SCHEMA));
    }

    RetryBudgetSpec retryBudget() {
        return RetryBudgetSettings.build(layers.get(RetryBudgetSettings.SCHEMA));
    }

    RateLimitSpec rateLimit() {
        return RateLimitSettings.build(layers.get(RateLimitSettings.SCHEMA));
    }

    IdempotencySpec idempotency() {
        return IdempotencySettings.build(layers.get(IdempotencySettings.SCHEMA));
    }

    StreamSpec stream() {
        return StreamSettings.build(layers.get(StreamSettings.SCHEMA));
    }

    CircuitBreakerSpec circuitBreaker() {
        return CircuitBreakerSettings.build(layers.get(CircuitBreakerSettings.SCHEMA));
    }
}
