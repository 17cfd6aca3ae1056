package dev.breakwater.config;

/**
 * Where a value sits in the document, spelled as the user wrote it: {@code routes[openai].retry.max-attempts}.
 * Every problem starts with one, so the operator can find the line to fix without reading code.
 */
final class YamlPath {
    private static final YamlPath ROOT = new YamlPath("");

    private final String text;

    private YamlPath(String text) {
        this.text = text;
    }

    static YamlPath root() {
        return ROOT;
    }

    /** A map entry: {@code retry} then {@code retry.max-attempts}. */
    YamlPath key(String key) {
        return new YamlPath(text.isEmpty() ? key : text + "." + key);
    }

    /** A list item by position, {@code routes[0]}, or by name, {@code routes[openai]}. */
    YamlPath item(Object indexOrName) {
        return new YamlPath(text + "[" + indexOrName + "]");
    }

    @Override
    public String toString() {
        return text.isEmpty() ? "(top level)" : text;
    }
}
