package dev.breakwater.resilience;

/**
 * The JSON-RPC call a POST to an MCP route carries, as far as retries and Breakwater's own errors need it.
 *
 * @param method the JSON-RPC {@code method}, or null (a response to the server, a batch, not JSON-RPC)
 * @param id the request's {@code id} as raw JSON (a number, or a quoted string), or null (a notification, or none)
 * @param tool {@code params.name} of a {@code tools/call}, else null
 * @param repeatable true when running the call twice is safe
 * @param why why it is, or is not, safe to repeat, in words for logs and error messages
 */
public record McpCall(String method, String id, String tool, boolean repeatable, String why) {
    /** True for a {@code tools/list} request, whose answer tells which tools may run twice. */
    public boolean listsTools() {
        return "tools/list".equals(method);
    }
}
