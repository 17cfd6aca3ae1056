package dev.breakwater.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The effective values of one section at one level: a route's section over the {@code defaults} section over
 * the built-in defaults. Each key is resolved on its own, so a route that sets only {@code max-attempts}
 * still gets every other retry key from {@code defaults}.
 *
 * <p>A value that failed to read is not stored, so lookups fall through to the level below: the problem is
 * reported once, where it was written, and reading carries on with a sane value.
 */
final class Layer {
    private final Layer parent;
    private final Map<Setting<?>, Object> values = new HashMap<>();
    private final Map<Setting<?>, YamlValue> sources = new HashMap<>();

    private Layer(Layer parent) {
        this.parent = parent;
    }

    /** The built-in defaults only. */
    static Layer builtins() {
        return new Layer(null);
    }

    /**
     * Reads a section over {@code parent} and runs the schema's cross-checks on the result.
     *
     * @param section the section's value, if the key is present
     */
    static Layer read(SectionSchema schema, Optional<YamlValue> section, Layer parent) {
        Layer layer = new Layer(parent);
        section.flatMap(v -> v.section(schema.keys())).ifPresent(s -> {
            for (Setting<?> setting : schema.settings()) {
                s.get(setting.key())
                        .ifPresent(v -> setting.reader().read(v).ifPresent(value -> {
                            layer.values.put(setting, value);
                            layer.sources.put(setting, v);
                        }));
            }
        });
        schema.crossCheck().accept(layer);
        return layer;
    }

    /** The effective value: this level's, else the parent's, else the built-in default. */
    <T> T get(Setting<T> setting) {
        if (values.containsKey(setting)) {
            @SuppressWarnings("unchecked") // put only by read(), with the setting's own reader
            T value = (T) values.get(setting);
            return value;
        }
        return parent != null ? parent.get(setting) : setting.builtin();
    }

    /**
     * Where {@code setting} was validly set at this level. Cross-checks report only at values set here, so a
     * bad combination inherited from {@code defaults} is reported once, at {@code defaults}.
     */
    Optional<YamlValue> setHere(Setting<?> setting) {
        return Optional.ofNullable(sources.get(setting));
    }
}
