package dev.breakwater.resilience;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Locale;

/**
 * Reads server-sent events for the decisions a stream needs: may the response be committed to the client yet
 * (its first event that carries content), or did the upstream report a failure in the stream. An error event is
 * turned into the status the same failure would have had as a plain response ({@code overloaded_error} → 529,
 * {@code server_error} → 500, a rate limit → 429, ...), so a stream that fails before its first content event is
 * classified, counted and retried under the route's usual rules.
 *
 * <p>Only events before commit are parsed whole; after commit the relay asks {@link #mayReportError} first, a
 * look at the event's first bytes, so a token event costs no parsing.
 */
public final class StreamEvents {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** What one event means for the stream. */
    public sealed interface Verdict permits Opening, Content, Failure {}

    /** An event that opens a stream but shows the client nothing yet (Responses' {@code response.created}). */
    public record Opening() implements Verdict {}

    /** An event that carries content, or the end of the stream: once it is relayed the response is committed. */
    public record Content() implements Verdict {}

    /**
     * An error the upstream reported in the stream.
     *
     * @param status the status the same failure has as a plain response
     * @param type the error's type ({@code overloaded_error}, {@code server_error}), or null
     * @param code the error's code ({@code rate_limit_exceeded}), or null
     * @param message the upstream's message, or null
     */
    public record Failure(int status, String type, String code, String message) implements Verdict {
        /** The failure's fields as an error response body would give them, for the retry classifier. */
        public ProviderRules.ErrorFields fields() {
            return new ProviderRules.ErrorFields(type, code);
        }

        /** A short label for logs and metrics: the type, else the code. */
        public String label() {
            return type != null ? type : code != null ? code : "error";
        }
    }

    private static final Opening OPENING = new Opening();
    private static final Content CONTENT = new Content();

    private StreamEvents() {}

    /**
     * The meaning of one complete event.
     *
     * @param event the {@code event:} field, or null when the event has none
     * @param data the {@code data:} lines joined by newlines, or null when the event carries none (a comment)
     * @return null for an event that means nothing (a comment, an event without data)
     */
    public static Verdict classify(StreamDialect dialect, String event, String data) {
        if (data == null) {
            return null;
        }
        if (data.startsWith("[DONE]")) {
            return CONTENT;
        }
        Fields fields = Fields.read(data);
        String type = event != null ? event : fields.type;
        if ("error".equals(type)
                || "response.failed".equals(type)
                || fields.hasError && (dialect == StreamDialect.CHAT || dialect == StreamDialect.MCP)) {
            return failure(dialect, fields);
        }
        if (fields.hasError && "error".equals(fields.type)) {
            return failure(dialect, fields);
        }
        if (type == null) {
            return CONTENT;
        }
        return switch (dialect) {
            case RESPONSES ->
                type.equals("response.created") || type.equals("response.in_progress") || type.equals("response.queued")
                        ? OPENING
                        : CONTENT;
            case ANTHROPIC ->
                type.equals("message_start") || type.equals("ping") || type.equals("content_block_start")
                        ? OPENING
                        : CONTENT;
            case CHAT, MCP -> CONTENT;
        };
    }

    /**
     * True when an event beginning with {@code start} may report an error and is worth {@link #classify}ing: it is
     * named {@code error} or {@code response.failed}, or its data opens with an {@code error} member. A false
     * answer is certain; a true one needs the whole event.
     */
    public static boolean mayReportError(CharSequence start) {
        return startsWith(start, "event: error")
                || startsWith(start, "event:error")
                || startsWith(start, "event: response.failed")
                || startsWith(start, "event:response.failed")
                || startsWith(start, "data: {\"error\"")
                || startsWith(start, "data:{\"error\"")
                || startsWith(start, "data: {\"type\":\"error\"")
                || startsWith(start, "data: {\"type\":\"response.failed\"");
    }

    private static boolean startsWith(CharSequence s, String prefix) {
        if (s.length() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (s.charAt(i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static Failure failure(StreamDialect dialect, Fields fields) {
        String type = fields.errorType;
        String code = fields.errorCode != null ? fields.errorCode : fields.code;
        String message = fields.errorMessage != null ? fields.errorMessage : fields.message;
        if (type == null && dialect != StreamDialect.ANTHROPIC) {
            type = code;
        }
        return new Failure(statusOf(dialect, type, code), type, code, message);
    }

    /** The status an error of {@code type} and {@code code} has as a plain response. */
    static int statusOf(StreamDialect dialect, String type, String code) {
        if (dialect == StreamDialect.MCP) {
            return jsonRpcStatus(code);
        }
        String t = ((type == null ? "" : type) + " " + (code == null ? "" : code)).toLowerCase(Locale.ROOT);
        if (t.contains("overloaded")) {
            return dialect == StreamDialect.ANTHROPIC ? AnthropicRules.OVERLOADED : 503;
        }
        if (t.contains("rate_limit") || t.contains("quota") || t.contains("billing")) {
            return 429;
        }
        if (t.contains("timeout")) {
            return 504;
        }
        if (t.contains("authentication") || t.contains("invalid_api_key")) {
            return 401;
        }
        if (t.contains("permission")) {
            return 403;
        }
        if (t.contains("not_found")) {
            return 404;
        }
        if (t.contains("too_large")) {
            return 413;
        }
        if (t.contains("invalid")) {
            return 400;
        }
        // server_error, api_error, an unknown or missing type: the upstream failed.
        return 500;
    }

    /**
     * The status of a JSON-RPC error {@code code}: the server's own failures (-32603 internal error, and the
     * implementation-defined server errors -32000 to -32099) are 500, like a failed response; everything else (parse
     * error, invalid request, method not found, invalid params, an application's code) is 400, never retried.
     */
    static int jsonRpcStatus(String code) {
        try {
            int c = Integer.parseInt(code == null ? "" : code.trim());
            return c == -32603 || (c >= -32099 && c <= -32000) ? 500 : 400;
        } catch (NumberFormatException e) {
            return 400;
        }
    }

    /**
     * The members of an event's JSON data that matter here: {@code type}, {@code code}, {@code message}, and the
     * {@code error} object's (or, for {@code response.failed}, {@code response.error}'s) type, code and message.
     */
    private static final class Fields {
        String type;
        String code;
        String message;
        boolean hasError;
        String errorType;
        String errorCode;
        String errorMessage;

        static Fields read(String data) {
            Fields fields = new Fields();
            try (JsonParser parser = JSON.createParser(data)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return fields;
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (name) {
                        case "type" -> fields.type = text(parser, value);
                        case "code" -> fields.code = text(parser, value);
                        case "message" -> fields.message = text(parser, value);
                        case "error" -> fields.readError(parser, value);
                        case "response" -> fields.readResponse(parser, value);
                        default -> parser.skipChildren();
                    }
                }
            } catch (IOException malformed) {
                // Not JSON (a generic stream's plain text), or cut: what was read so far is all there is.
            }
            return fields;
        }

        private void readError(JsonParser parser, JsonToken value) throws IOException {
            if (value == JsonToken.VALUE_NULL) {
                return;
            }
            hasError = true;
            if (value != JsonToken.START_OBJECT) {
                errorMessage = text(parser, value);
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken v = parser.nextToken();
                switch (name) {
                    case "type" -> errorType = text(parser, v);
                    case "code" -> errorCode = text(parser, v);
                    case "message" -> errorMessage = text(parser, v);
                    default -> parser.skipChildren();
                }
            }
        }

        /** Responses' {@code response.failed} carries its error in {@code response.error}. */
        private void readResponse(JsonParser parser, JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken v = parser.nextToken();
                if (name.equals("error") && v == JsonToken.START_OBJECT) {
                    readError(parser, v);
                } else {
                    parser.skipChildren();
                }
            }
        }

        private static String text(JsonParser parser, JsonToken value) throws IOException {
            if (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT) {
                return parser.getText();
            }
            parser.skipChildren();
            return null;
        }
    }
}
