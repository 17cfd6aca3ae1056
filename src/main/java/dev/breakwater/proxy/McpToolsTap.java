package dev.breakwater.proxy;

import dev.breakwater.config.Provider;
import dev.breakwater.resilience.McpCall;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * Reads the bytes relayed for an MCP {@code tools/list} call, unchanged, and hands each JSON-RPC message to the
 * request's admission, which learns the tools' annotations from it: every event of an event stream, or a JSON
 * body of up to {@link #MAX_BODY} bytes once it ended. Made only for such responses, so other routes pay nothing.
 */
final class McpToolsTap {
    /** The most bytes of a JSON answer read; a longer listing teaches nothing. */
    static final int MAX_BODY = 1024 * 1024;

    private final Exchange exchange;
    private final String session;
    /** Cuts an event-stream answer into events; null for a JSON body. */
    private final EventFramer framer;

    /** The JSON body's declared length, or -1 (chunked). */
    private final long length;

    private Buffer body;

    private McpToolsTap(Exchange exchange, String session, boolean eventStream, long length) {
        this.exchange = exchange;
        this.session = session;
        this.framer = eventStream ? new EventFramer() : null;
        this.length = length;
        this.body = eventStream ? null : Buffer.buffer();
    }

    /** A tap for {@code response} when it answers an MCP {@code tools/list} with a success, else null. */
    static McpToolsTap forResponse(Exchange exchange, HttpClientResponse response, boolean eventStream) {
        if (exchange.route().spec().provider() != Provider.MCP || response.statusCode() != 200) {
            return null;
        }
        McpCall call = exchange.admission().mcpCall();
        if (call == null || !call.listsTools()) {
            return null;
        }
        String session = exchange.request().getHeader("mcp-session-id");
        return new McpToolsTap(
                exchange,
                session != null ? session : response.getHeader("mcp-session-id"),
                eventStream,
                declaredLength(response));
    }

    private static long declaredLength(HttpClientResponse response) {
        try {
            String length = response.getHeader("content-length");
            return length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Bytes about to be relayed to the client. A JSON body whose declared length they complete is read now: the
     * client has all of it with this write, and may call a tool it lists before the relay hears of the body's end.
     */
    void feed(Buffer bytes) {
        if (framer != null) {
            framer.feed(bytes, this::onEvent);
        } else if (body != null) {
            body = body.length() + bytes.length() > MAX_BODY ? null : body.appendBuffer(bytes);
            if (body != null && body.length() == length) {
                end();
            }
        }
    }

    /** The answer ended: a JSON body not read yet is read now. */
    void end() {
        if (body != null && body.length() > 0) {
            exchange.admission().onMcpMessage(session, body.toString());
        }
        body = null;
    }

    private void onEvent(Buffer bytes, int start, int end) {
        String data = EventFramer.Fields.of(bytes, start, end).data();
        if (data != null && data.contains("\"tools\"")) {
            exchange.admission().onMcpMessage(session, data);
        }
    }
}
