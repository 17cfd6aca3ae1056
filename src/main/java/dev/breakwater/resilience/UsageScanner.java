package dev.breakwater.resilience;

/**
 * Reads the token usage and the model from an LLM API's response, without parsing it whole: text is searched for
 * a {@code "usage": {...}} object and a {@code "model": "..."} string, and only those are read.
 *
 * <p>It is fed whatever of the response the proxy keeps: each whole event of a stream, or the first and last
 * bytes of a JSON body. The APIs put usage where such a scan finds it:
 * <ul>
 *   <li>OpenAI Chat Completions: the body's {@code usage} ({@code prompt_tokens}, {@code completion_tokens}), and
 *       in a stream the final chunk's, when the client asked for it ({@code stream_options.include_usage});</li>
 *   <li>OpenAI Responses: the body's {@code usage} ({@code input_tokens}, {@code output_tokens}), in a stream the
 *       {@code response.completed} event's {@code response.usage};</li>
 *   <li>Anthropic Messages: the body's {@code usage}; in a stream {@code message_start} reports the input tokens
 *       and {@code message_delta} the output tokens (and, lately, the input again).</li>
 * </ul>
 * A later report wins over an earlier one, field by field, so a stream's running totals end at the final ones.
 * The first model named is kept. Scanning allocates nothing until it finds something: a stream's events are
 * searched as they pass, and most hold neither.
 *
 * <p>One scanner serves one response, on one thread; it is not thread-safe.
 */
public final class UsageScanner {
    private static final String USAGE = "\"usage\"";
    private static final String MODEL = "\"model\"";
    /** Longer model names are not names: a scan that hit something else. */
    private static final int MAX_MODEL = 200;

    private long inputTokens = -1;
    private long outputTokens = -1;
    private String model;

    /** Reads every {@code usage} object and the first {@code model} in {@code text}. */
    public void scan(CharSequence text) {
        int from = 0;
        while (true) {
            int key = indexOf(text, USAGE, from);
            if (key < 0) {
                break;
            }
            from = key + USAGE.length();
            int open = valueStart(text, key, USAGE.length());
            if (open >= 0 && text.charAt(open) == '{') {
                from = readUsage(text, open);
            }
        }
        if (model == null) {
            model = findModel(text);
        }
    }

    /** The usage reported so far, or null when none was. */
    public TokenUsage usage() {
        return inputTokens < 0 && outputTokens < 0 ? null : new TokenUsage(inputTokens, outputTokens);
    }

    /** The model the response named, or null. */
    public String model() {
        return model;
    }

    /**
     * Where the value of the key at {@code key} starts, or -1 when what was found is not a key (it sits inside a
     * string, escaped, or no colon follows).
     */
    private static int valueStart(CharSequence text, int key, int keyLength) {
        if (key > 0 && text.charAt(key - 1) == '\\') {
            return -1;
        }
        int i = skipSpaces(text, key + keyLength);
        if (i >= text.length() || text.charAt(i) != ':') {
            return -1;
        }
        i = skipSpaces(text, i + 1);
        return i < text.length() ? i : -1;
    }

    /** Reads the counts of the object opening at {@code open}; returns where to search on. */
    private int readUsage(CharSequence text, int open) {
        long input = -1;
        long output = -1;
        int i = open + 1;
        int length = text.length();
        while (true) {
            i = skipSpaces(text, i);
            if (i >= length) {
                return length; // cut off: nothing from it is trusted
            }
            char c = text.charAt(i);
            if (c == '}') {
                break;
            }
            if (c == ',') {
                i++;
                continue;
            }
            if (c != '"') {
                return i + 1;
            }
            int keyStart = i + 1;
            int keyEnd = skipString(text, i);
            if (keyEnd < 0) {
                return length;
            }
            i = skipSpaces(text, keyEnd + 1);
            if (i >= length || text.charAt(i) != ':') {
                return i;
            }
            i = skipSpaces(text, i + 1);
            if (i < length && isDigit(text.charAt(i))) {
                long n = 0;
                while (i < length && isDigit(text.charAt(i)) && n < Long.MAX_VALUE / 10) {
                    n = n * 10 + (text.charAt(i) - '0');
                    i++;
                }
                if (regionIs(text, keyStart, keyEnd, "input_tokens")
                        || regionIs(text, keyStart, keyEnd, "prompt_tokens")) {
                    input = n;
                } else if (regionIs(text, keyStart, keyEnd, "output_tokens")
                        || regionIs(text, keyStart, keyEnd, "completion_tokens")) {
                    output = n;
                }
            } else {
                i = skipValue(text, i);
                if (i < 0) {
                    return length;
                }
            }
        }
        if (input >= 0) {
            inputTokens = input;
        }
        if (output >= 0) {
            outputTokens = output;
        }
        return i + 1;
    }

    private static String findModel(CharSequence text) {
        int from = 0;
        while (true) {
            int key = indexOf(text, MODEL, from);
            if (key < 0) {
                return null;
            }
            from = key + MODEL.length();
            int start = valueStart(text, key, MODEL.length());
            if (start >= 0 && text.charAt(start) == '"') {
                int end = skipString(text, start);
                if (end > start + 1 && end - start <= MAX_MODEL) {
                    String name = text.subSequence(start + 1, end).toString();
                    // An escaped name is not worth unescaping: model names are plain.
                    return name.indexOf('\\') < 0 ? name : null;
                }
            }
        }
    }

    /** The index of the closing quote of the string opening at {@code open}, or -1 when it is cut off. */
    private static int skipString(CharSequence text, int open) {
        for (int i = open + 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    /** The index just past the value starting at {@code i} (an object, array, string or bare word), or -1. */
    private static int skipValue(CharSequence text, int i) {
        int length = text.length();
        char first = text.charAt(i);
        if (first == '"') {
            int end = skipString(text, i);
            return end < 0 ? -1 : end + 1;
        }
        if (first != '{' && first != '[') {
            while (i < length && ",}] \t\r\n".indexOf(text.charAt(i)) < 0) {
                i++;
            }
            return i;
        }
        int depth = 0;
        for (; i < length; i++) {
            char c = text.charAt(i);
            if (c == '"') {
                i = skipString(text, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
        }
        return -1;
    }

    private static int skipSpaces(CharSequence text, int i) {
        while (i < text.length() && " \t\r\n".indexOf(text.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean regionIs(CharSequence text, int start, int end, String word) {
        if (end - start != word.length()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (text.charAt(start + i) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(CharSequence text, String word, int from) {
        char first = word.charAt(0);
        int last = text.length() - word.length();
        for (int i = from; i <= last; i++) {
            if (text.charAt(i) == first && regionIs(text, i, i + word.length(), word)) {
                return i;
            }
        }
        return -1;
    }
}
