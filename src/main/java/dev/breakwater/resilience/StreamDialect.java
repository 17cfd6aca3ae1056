package dev.breakwater.resilience;

import dev.breakwater.config.Provider;

/**
 * The event vocabulary of a streamed response: which events only open a stream, which carry content, which
 * report an error, and how a stream Breakwater has to break off must end so the client's SDK raises an error.
 */
public enum StreamDialect {
    /** OpenAI Chat Completions and any other {@code data:}-only stream: an error is a {@code data: {"error":...}}
     * frame. Also the dialect of generic routes. */
    CHAT,
    /** OpenAI's Responses API: named events; {@code response.created}/{@code in_progress}/{@code queued} open
     * the stream, {@code error} and {@code response.failed} report failures. */
    RESPONSES,
    /** Anthropic Messages: {@code message_start}, {@code ping} and {@code content_block_start} open the stream,
     * {@code event: error} with {@code {"type":"error","error":{...}}} reports failures. */
    ANTHROPIC,
    /** MCP's Streamable HTTP: {@code data:}-only JSON-RPC messages; one with an {@code error} member reports a
     * failure, any other (a result, a notification, a request of the server) is content. */
    MCP;

    /** The dialect of a route's provider for a request to {@code path}. */
    public static StreamDialect of(Provider provider, String path) {
        if (provider == Provider.ANTHROPIC) {
            return ANTHROPIC;
        }
        if (provider == Provider.MCP) {
            return MCP;
        }
        return path.endsWith("/responses") ? RESPONSES : CHAT;
    }
}
