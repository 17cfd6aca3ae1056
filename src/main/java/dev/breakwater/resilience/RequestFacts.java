package dev.breakwater.resilience;

/**
 * What the retry decision needs to know about the client's request.
 *
 * @param method the HTTP method, upper case
 * @param idempotencyKey true when the request carries an {@code Idempotency-Key} header
 * @param replayable true when the whole body is buffered and can be sent again byte for byte
 * @param call the JSON-RPC call of a POST to an MCP route, which decides alone whether it may run twice; null on
 *     other routes and for other methods
 */
public record RequestFacts(String method, boolean idempotencyKey, boolean replayable, McpCall call) {
    /** A request whose HTTP method decides whether it may run twice. */
    public RequestFacts(String method, boolean idempotencyKey, boolean replayable) {
        this(method, idempotencyKey, replayable, null);
    }

    /** These facts with the JSON-RPC call read from the body. */
    public RequestFacts withCall(McpCall call) {
        return new RequestFacts(method, idempotencyKey, replayable, call);
    }
}
