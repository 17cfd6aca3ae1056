package dev.breakwater.proxy;

import dev.breakwater.config.Provider;
import dev.breakwater.resilience.StreamDialect;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * Errors Breakwater makes itself, in the error shape of the API the client speaks, so its SDK surfaces them like
 * that API's own errors. OpenAI's shape (every route but {@code anthropic}, and the admin API):
 * {@code {"error":{"message":...,"type":"breakwater_error","code":...,"param":null}}}. Anthropic's shape:
 * {@code {"type":"error","error":{"type":<Anthropic type for the status>,"message":...,"details":{"error_code":...}}}},
 * with Breakwater's code where Anthropic puts its own machine-readable code. MCP's: a JSON-RPC error response
 * {@code {"jsonrpc":"2.0","id":<the request's id>,"error":{"code":-32000,"message":...,"data":{"breakwater_code":...}}}}.
 */
public final class ErrorResponses {
    /** The {@code type} of every error Breakwater makes itself in OpenAI's shape. */
    public static final String TYPE = "breakwater_error";

    /** The error format a client expects. */
    public enum Shape {
        /** OpenAI's {@code {"error":{...}}}; also what generic routes and the admin API answer. */
        OPENAI,
        /** Anthropic's {@code {"type":"error","error":{...}}}, and {@code event: error} in a stream. */
        ANTHROPIC,
        /** A JSON-RPC error response with the request's {@code id}, as an MCP client expects. */
        MCP;

        /** The shape of a route's provider. */
        public static Shape of(Provider provider) {
            return switch (provider) {
                case ANTHROPIC -> ANTHROPIC;
                case MCP -> MCP;
                default -> OPENAI;
            };
        }

        /**
         * The shape for an answer made before any route was chosen ({@code no_route}, {@code invalid_path}, ...):
         * Anthropic's when the request carries {@code anthropic-version}, which Anthropic's API requires and its
         * SDKs always send.
         */
        static Shape ofClient(HttpServerRequest request) {
            return request.headers().contains("anthropic-version") ? ANTHROPIC : OPENAI;
        }
    }

    private ErrorResponses() {}

    /** The JSON error object in OpenAI's shape, without the outer {@code error} wrapper. */
    public static JsonObject error(String code, String message) {
        return new JsonObject()
                .put("message", message)
                .put("type", TYPE)
                .put("code", code)
                .putNull("param");
    }

    /** A complete JSON body in OpenAI's shape: {@code {"error":{...}}}. */
    public static Buffer body(String code, String message) {
        return new JsonObject().put("error", error(code, message)).toBuffer();
    }

    /** A complete JSON body in {@code shape} for an error answered with {@code status}, answering no JSON-RPC call. */
    public static Buffer body(Shape shape, int status, String code, String message) {
        return body(shape, null, status, code, message);
    }

    /**
     * A complete JSON body in {@code shape} for an error answered with {@code status}.
     *
     * @param jsonRpcId the {@code id} of the JSON-RPC call answered (MCP's shape), as raw JSON, or null
     */
    public static Buffer body(Shape shape, String jsonRpcId, int status, String code, String message) {
        return switch (shape) {
            case ANTHROPIC -> anthropicBody(status, code, message).toBuffer();
            case MCP -> jsonRpc(jsonRpcId, SERVER_ERROR, status, code, message);
            case OPENAI -> body(code, message);
        };
    }

    /** The JSON-RPC code of Breakwater's own errors on an MCP route: the range's implementation-defined server error. */
    static final int SERVER_ERROR = -32000;

    /** The JSON-RPC code of the error that ends an MCP stream Breakwater broke off: internal error. */
    static final int INTERNAL_ERROR = -32603;

    /**
     * A JSON-RPC error response: {@code {"jsonrpc":"2.0","id":<id>,"error":{"code":<rpcCode>,"message":...,
     * "data":{"breakwater_code":...,"http_status":...}}}}.
     *
     * @param id the request's {@code id} as raw JSON (a number or a quoted string), or null
     */
    public static Buffer jsonRpc(String id, int rpcCode, int status, String code, String message) {
        JsonObject error = new JsonObject()
                .put("code", rpcCode)
                .put("message", message)
                .put("data", new JsonObject().put("breakwater_code", code).put("http_status", status));
        return Buffer.buffer("{\"jsonrpc\":\"2.0\",\"id\":")
                .appendString(id == null ? "null" : id)
                .appendString(",\"error\":")
                .appendBuffer(error.toBuffer())
                .appendString("}");
    }

    /** The JSON-RPC error event that ends an MCP stream Breakwater broke off, answering the request {@code id}. */
    public static Buffer jsonRpcEvent(String id, int status, String code, String message) {
        return Buffer.buffer("event: message\ndata: ")
                .appendBuffer(jsonRpc(id, INTERNAL_ERROR, status, code, message))
                .appendString("\n\n");
    }

    /** A server-sent event in OpenAI's shape carrying the error, ending the event with a blank line. */
    public static Buffer sseEvent(String code, String message) {
        return Buffer.buffer("data: ").appendBuffer(body(code, message)).appendString("\n\n");
    }

    /**
     * The last event of a stream Breakwater breaks off, in the stream's dialect, such that the client's SDK raises
     * it as an error instead of returning a truncated answer: Chat Completions a bare {@code data: {"error":...}}
     * (the OpenAI SDKs raise on any data with an {@code error} member); the Responses API an {@code error} event
     * with its documented {@code type}, {@code code}, {@code message} and {@code sequence_number}, plus the same
     * {@code error} member; Anthropic an {@code event: error} (its SDKs ignore an unnamed one).
     *
     * @param jsonRpcId the {@code id} of the JSON-RPC call the stream answers (MCP), as raw JSON, or null
     * @param sequence the Responses API's {@code sequence_number}: the number of events sent before it
     */
    public static Buffer sseEvent(
            StreamDialect dialect, String jsonRpcId, int status, String code, String message, long sequence) {
        return switch (dialect) {
            case CHAT -> sseEvent(code, message);
            case RESPONSES ->
                Buffer.buffer("event: error\ndata: ")
                        .appendBuffer(new JsonObject()
                                .put("type", "error")
                                .put("code", code)
                                .put("message", message)
                                .putNull("param")
                                .put("sequence_number", sequence)
                                .put("error", error(code, message))
                                .toBuffer())
                        .appendString("\n\n");
            case ANTHROPIC ->
                Buffer.buffer("event: error\ndata: ")
                        .appendBuffer(anthropicBody(status, code, message).toBuffer())
                        .appendString("\n\n");
            case MCP -> jsonRpcEvent(jsonRpcId, status, code, message);
        };
    }

    /**
     * The Anthropic error type for a status: Breakwater's 503s (an open breaker, a shutdown) are
     * {@code overloaded_error}, 504s {@code timeout_error}, other 5xx {@code api_error}; 429
     * {@code rate_limit_error}, 404 {@code not_found_error}, other 4xx {@code invalid_request_error}.
     */
    static String anthropicType(int status) {
        return switch (status) {
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            case 503 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    private static JsonObject anthropicBody(int status, String code, String message) {
        return new JsonObject()
                .put("type", "error")
                .put(
                        "error",
                        new JsonObject()
                                .put("type", anthropicType(status))
                                .put("message", message)
                                .put("details", new JsonObject().put("error_code", code)));
    }
}
