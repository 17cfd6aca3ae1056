package dev.breakwater.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * Errors Breakwater makes itself, in OpenAI's error shape so agent SDKs surface them like API errors:
 * {@code {"error":{"message":...,"type":"breakwater_error","code":...,"param":null}}}.
 */
public final class ErrorResponses {
    /** The {@code type} of every error Breakwater makes itself. */
    public static final String TYPE = "breakwater_error";

    private ErrorResponses() {}

    /** The JSON error object, without the outer {@code error} wrapper. */
    public static JsonObject error(String code, String message) {
        return new JsonObject()
                .put("message", message)
                .put("type", TYPE)
                .put("code", code)
                .putNull("param");
    }

    /** A complete JSON body: {@code {"error":{...}}}. */
    public static Buffer body(String code, String message) {
        return new JsonObject().put("error", error(code, message)).toBuffer();
    }

    /** A server-sent event carrying the error, ending the event with a blank line. */
    public static Buffer sseEvent(String code, String message) {
        return Buffer.buffer("data: ").appendBuffer(body(code, message)).appendString("\n\n");
    }
}
