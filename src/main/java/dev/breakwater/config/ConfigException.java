package dev.breakwater.config;

import java.util.List;

/**
 * The configuration could not be loaded. Carries every problem found, not just the first, so one run of
 * Breakwater shows the operator everything that needs fixing.
 *
 * <p>Each problem is one line such as
 * {@code config/breakwater.yaml:14: routes[openai].retry.max-attempts: 0 (expected: >= 1)}.
 */
public class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Kept as an immutable {@link List#copyOf copy}, which is serializable. */
    private final List<String> problems;

    /**
     * @param problems one line per problem, in document order; must not be empty
     */
    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** The problems, one line each, in document order. */
    public List<String> problems() {
        return problems;
    }
}
