package dev.breakwater.config;

import java.util.List;
import java.util.function.Consumer;

/**
 * An inheritable section (such as {@code retry}): its key, its table of settings and the checks that span
 * several settings. To add a key, add a {@link Setting} to the table; to add a section, add a schema to
 * {@link Policies}.
 *
 * @param key the section's YAML key
 * @param settings the allowed keys, in the order they are listed in messages
 * @param crossCheck checks between settings, run on every {@link Layer}
 */
record SectionSchema(String key, List<Setting<?>> settings, Consumer<Layer> crossCheck) {
    SectionSchema {
        settings = List.copyOf(settings);
    }

    List<String> keys() {
        return settings.stream().map(Setting::key).toList();
    }
}
