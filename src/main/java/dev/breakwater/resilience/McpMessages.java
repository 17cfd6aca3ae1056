package dev.breakwater.resilience;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the JSON-RPC messages of MCP's Streamable HTTP transport with a streaming parser: the call a client's POST
 * carries, and the tools a {@code tools/list} result announces. Malformed or cut JSON yields what was read.
 */
final class McpMessages {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** What a request body says; {@code batch} for a JSON array. */
    record Request(String method, String id, String tool, boolean batch) {
        static final Request NONE = new Request(null, null, null, false);
    }

    private McpMessages() {}

    /** The {@code method}, raw {@code id} and {@code params.name} of a JSON-RPC request body. */
    static Request request(InputStream body) {
        String method = null;
        String id = null;
        String tool = null;
        try (JsonParser parser = JSON.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.START_ARRAY) {
                return new Request(null, null, null, true);
            }
            if (first != JsonToken.START_OBJECT) {
                return Request.NONE;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("method".equals(name) && value == JsonToken.VALUE_STRING) {
                    method = parser.getText();
                } else if ("id".equals(name)) {
                    id = rawId(parser, value);
                } else if ("params".equals(name) && value == JsonToken.START_OBJECT) {
                    tool = nameOf(parser);
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // cut or malformed: keep what was read
        }
        return new Request(method, id, tool, false);
    }

    /** An {@code id} as raw JSON: a number as written, a string quoted; null for anything else. */
    private static String rawId(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT) {
            return parser.getText();
        }
        if (value == JsonToken.VALUE_STRING) {
            return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(parser.getText())) + '"';
        }
        parser.skipChildren();
        return null;
    }

    /** {@code name} of the object the parser stands at the start of, which it reads to its end. */
    private static String nameOf(JsonParser parser) throws IOException {
        String name = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("name".equals(field) && value == JsonToken.VALUE_STRING) {
                name = parser.getText();
            } else {
                parser.skipChildren();
            }
        }
        return name;
    }

    /**
     * The tools a JSON-RPC response carrying a {@code tools/list} result announces, each with true when its
     * {@code annotations} say {@code readOnlyHint} or {@code idempotentHint} is true; null when {@code message} is no
     * such result.
     */
    static Map<String, Boolean> toolsListed(String message) {
        try (JsonParser parser = JSON.createParser(message)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("result".equals(name) && value == JsonToken.START_OBJECT) {
                    return toolsOfResult(parser);
                }
                parser.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON, or cut: nothing learned
        }
        return null;
    }

    private static Map<String, Boolean> toolsOfResult(JsonParser parser) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (!"tools".equals(name) || value != JsonToken.START_ARRAY) {
                parser.skipChildren();
                continue;
            }
            Map<String, Boolean> tools = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                readTool(parser, tools);
            }
            return tools;
        }
        return null;
    }

    private static void readTool(JsonParser parser, Map<String, Boolean> tools) throws IOException {
        String name = null;
        boolean safe = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("name".equals(field) && value == JsonToken.VALUE_STRING) {
                name = parser.getText();
            } else if ("annotations".equals(field) && value == JsonToken.START_OBJECT) {
                safe = safeToRepeat(parser);
            } else {
                parser.skipChildren();
            }
        }
        if (name != null) {
            tools.put(name, safe);
        }
    }

    private static boolean safeToRepeat(JsonParser parser) throws IOException {
        boolean safe = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.VALUE_TRUE && ("readOnlyHint".equals(field) || "idempotentHint".equals(field))) {
                safe = true;
            }
            parser.skipChildren();
        }
        return safe;
    }
}
