package dev.breakwater.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A map whose keys come from a fixed table, such as a route or its {@code retry} section. Unknown keys are
 * reported when the section is built (a typo like {@code max-atempts} would otherwise be silently ignored and
 * the default used instead), listing the keys that are allowed.
 */
final class YamlSection {
    private final YamlValue self;
    private final Map<String, YamlValue> values = new LinkedHashMap<>();
    private final List<String> allowedKeys;

    YamlSection(YamlValue self, List<YamlValue.Entry> entries, List<String> allowedKeys) {
        this.self = self;
        this.allowedKeys = List.copyOf(allowedKeys);
        for (YamlValue.Entry entry : entries) {
            if (this.allowedKeys.contains(entry.key())) {
                values.put(entry.key(), entry.value());
            } else {
                entry.keyNode().problem("unknown key (expected one of: " + String.join(", ", this.allowedKeys) + ")");
            }
        }
    }

    /** The value under {@code key}, if present. */
    Optional<YamlValue> get(String key) {
        if (!allowedKeys.contains(key)) {
            // a programming error: every key read must be in the section's table
            throw new IllegalArgumentException(key + " is not in the table of " + self.path());
        }
        return Optional.ofNullable(values.get(key));
    }

    /** The value under {@code key}, or a {@code PATH.KEY: missing (expected: ...)} problem. */
    Optional<YamlValue> require(String key, String expected) {
        Optional<YamlValue> value = get(key);
        if (value.isEmpty()) {
            self.problemAt(key, "missing (expected: " + expected + ")");
        }
        return value;
    }

    YamlValue self() {
        return self;
    }
}
