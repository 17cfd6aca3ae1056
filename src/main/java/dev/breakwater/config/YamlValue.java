package dev.breakwater.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One YAML node together with its {@link YamlPath}: the small path-aware helper the loader walks the document
 * with. Accessors that find the wrong shape report a problem at this value's path and line and return empty,
 * so callers just skip what is broken and keep collecting further problems.
 */
final class YamlValue {
    /**
     * One map entry.
     *
     * @param key the key as written
     * @param keyNode the key node at the entry's path, for problems about the key itself (reported on its line)
     * @param value the value at the entry's path
     */
    record Entry(String key, YamlValue keyNode, YamlValue value) {}

    /** Values shown without quotes in messages: plain YAML that reads unambiguously. */
    private static final Pattern SHOW_BARE = Pattern.compile("[\\p{Graph}&&[^\"'\\\\]]+");

    private final Node node;
    private final YamlPath path;
    private final ReadContext ctx;

    YamlValue(Node node, YamlPath path, ReadContext ctx) {
        this.node = node;
        this.path = path;
        this.ctx = ctx;
    }

    YamlPath path() {
        return path;
    }

    /** The same node under another path, e.g. {@code routes[openai]} once the route's name is known. */
    YamlValue at(YamlPath other) {
        return new YamlValue(node, other, ctx);
    }

    /** 1-based line where the value starts; 0 when unknown (a synthetic node). */
    int line() {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    boolean isNull() {
        return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
    }

    /**
     * The scalar's text after {@code ${VAR}} substitution.
     *
     * @param expected what to say was expected if this is not a scalar
     */
    Optional<String> text(String expected) {
        if (!(node instanceof ScalarNode scalar) || isNull()) {
            reject(expected);
            return Optional.empty();
        }
        try {
            return Optional.of(ctx.env().substitute(scalar.getValue()));
        } catch (IllegalArgumentException e) {
            problem(e.getMessage());
            return Optional.empty();
        }
    }

    /** The list's items, each with its {@code [index]} path. */
    Optional<List<YamlValue>> list(String expected) {
        if (!(node instanceof SequenceNode sequence)) {
            reject(expected);
            return Optional.empty();
        }
        List<YamlValue> items = new ArrayList<>();
        for (Node child : sequence.getValue()) {
            items.add(new YamlValue(child, path.item(items.size()), ctx));
        }
        return Optional.of(items);
    }

    /**
     * The map's entries with scalar keys, in document order. A duplicated key is reported and its later
     * occurrence dropped: SnakeYAML's composer does not check duplicates, only its (unused) constructor does.
     * An empty value ({@code retry:} with nothing after it) counts as an empty map.
     */
    Optional<List<Entry>> entries(String expected) {
        if (isNull()) {
            return Optional.of(List.of());
        }
        if (!(node instanceof MappingNode mapping)) {
            reject(expected);
            return Optional.empty();
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (NodeTuple tuple : mapping.getValue()) {
            YamlValue keyValue = new YamlValue(tuple.getKeyNode(), path, ctx);
            if (!(tuple.getKeyNode() instanceof ScalarNode keyScalar) || keyValue.isNull()) {
                keyValue.problem(keyValue.describe() + " used as a key (expected: a plain name)");
                continue;
            }
            String key = keyScalar.getValue();
            YamlValue named = new YamlValue(tuple.getKeyNode(), path.key(key), ctx);
            if (!seen.add(key)) {
                named.problem("duplicate key (expected: each key once)");
                continue;
            }
            entries.add(new Entry(key, named, new YamlValue(tuple.getValueNode(), path.key(key), ctx)));
        }
        return Optional.of(entries);
    }

    /** This map as a section whose keys must come from {@code allowedKeys}. */
    Optional<YamlSection> section(List<String> allowedKeys) {
        return entries("a map").map(entries -> new YamlSection(this, entries, allowedKeys));
    }

    /** The first value under {@code key}, without reporting anything; for looking ahead at a route's name. */
    Optional<YamlValue> peek(String key) {
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return Optional.of(new YamlValue(tuple.getValueNode(), path.key(key), ctx));
                }
            }
        }
        return Optional.empty();
    }

    /** Reports {@code PATH: VALUE (expected: EXPECTED)}. */
    void reject(String expected) {
        problem(describe() + " (expected: " + expected + ")");
    }

    /** Reports {@code PATH: MESSAGE} at this value's line. */
    void problem(String message) {
        ctx.problems().add(line(), path + ": " + message);
    }

    /** Reports {@code PATH.KEY: MESSAGE} at this value's line, for a key that should be here but is not. */
    void problemAt(String key, String message) {
        ctx.problems().add(line(), path.key(key) + ": " + message);
    }

    /**
     * How the value appears in messages: its text when that is unambiguous, else quoted; collections by kind,
     * since echoing them would bury the message. A value that uses {@code ${VAR}} is shown as written, never
     * substituted: variables carry secrets (a password in an upstream URL, a token), and problems go to the
     * terminal, to {@code --check}, to the reload log line and to the admin API's reload answer.
     */
    String describe() {
        if (node instanceof MappingNode mapping) {
            return mapping.getValue().isEmpty() ? "an empty map" : "a map";
        }
        if (node instanceof SequenceNode sequence) {
            return sequence.getValue().isEmpty() ? "an empty list" : "a list";
        }
        if (isNull()) {
            return "no value";
        }
        ScalarNode scalar = (ScalarNode) node;
        String text = scalar.getValue();
        boolean bare = scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
                && SHOW_BARE.matcher(text).matches();
        return bare ? text : quote(text);
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
