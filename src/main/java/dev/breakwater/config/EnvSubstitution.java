package dev.breakwater.config;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in configuration strings, so secrets such as API keys
 * stay out of the file. {@code $${} writes a literal {@code ${}.
 *
 * <p>Semantics follow the shell: {@code ${NAME}} fails when NAME is unset but accepts an empty value;
 * {@code ${NAME:-default}} uses the default when NAME is unset or empty. Failing on an unset variable (rather
 * than substituting nothing) matters because an empty {@code Authorization} header fails only later, upstream,
 * with a far less helpful error.
 */
public final class EnvSubstitution {
    private static final Pattern REFERENCE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", Pattern.DOTALL);

    private final Map<String, String> env;

    /**
     * @param env the environment to read, typically {@link System#getenv()}; tests pass their own
     */
    public EnvSubstitution(Map<String, String> env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    /**
     * Returns {@code text} with every reference replaced.
     *
     * @throws IllegalArgumentException naming the first variable that is unset, or the malformed reference
     */
    public String substitute(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw new IllegalArgumentException(
                            "unterminated ${ (expected: ${NAME} or ${NAME:-default}; write $${ for a literal ${)");
                }
                out.append(resolve(text.substring(i + 2, close)));
                i = close + 1;
            } else {
                out.append(text.charAt(i));
                i++;
            }
        }
        return out.toString();
    }

    private String resolve(String reference) {
        Matcher m = REFERENCE.matcher(reference);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "invalid reference ${" + reference + "} (expected: ${NAME} or ${NAME:-default})");
        }
        String name = m.group(1);
        String fallback = m.group(2);
        String value = env.get(name);
        if (fallback != null) {
            return value == null || value.isEmpty() ? fallback : value;
        }
        if (value == null) {
            throw new IllegalArgumentException(
                    "environment variable " + name + " is not set (write ${" + name + ":-default} to give a default)");
        }
        return value;
    }
}
