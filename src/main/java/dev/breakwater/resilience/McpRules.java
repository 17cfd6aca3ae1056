package dev.breakwater.resilience;

import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * MCP servers over the Streamable HTTP transport (JSON-RPC over POST, answers as JSON or an event stream, an
 * {@code Mcp-Session-Id}). Whether a call may run twice is read from the body, not the HTTP method: the reading
 * methods ({@link #SAFE_METHODS}) may; a {@code tools/call} only when the server's latest {@code tools/list} seen
 * for that upstream and session announced the tool {@code readOnlyHint} or {@code idempotentHint}; anything else
 * (notifications, responses, batches, other methods) may not. An {@code Idempotency-Key} makes any call repeatable.
 *
 * <p>What retrying cannot fix: 400, 401, 403, 404 (an expired session, which the client must re-initialise), 405,
 * 406, 413, 415 and 422. Unlike the other rules these hold state: the tools' annotations, learned from relayed
 * {@code tools/list} answers, bounded to {@link #MAX_SESSIONS} sessions.
 */
final class McpRules implements ProviderRules {
    /** The sessions (and session-less upstreams) whose tools are remembered, the least recently used forgotten. */
    static final int MAX_SESSIONS = 10_000;

    static final McpRules INSTANCE = new McpRules(new McpToolSafety(MAX_SESSIONS));

    /** JSON-RPC methods that only read, and so may run twice. */
    static final Set<String> SAFE_METHODS = Set.of(
            "initialize",
            "ping",
            "tools/list",
            "resources/list",
            "resources/templates/list",
            "resources/read",
            "prompts/list",
            "prompts/get");

    /** The header in which a Streamable HTTP server names the session, and its client sends it back. */
    static final String SESSION_HEADER = "mcp-session-id";

    private static final ErrorAnswers ANSWERS =
            new ErrorAnswers(Set.of(400, 401, 403, 404, 405, 406, 413, 415, 422), code -> false);

    private final McpToolSafety tools;

    McpRules(McpToolSafety tools) {
        this.tools = tools;
    }

    @Override
    public RequestFacts describe(RequestFacts facts, OutgoingRequest request, String address) {
        if (!"POST".equals(facts.method())) {
            return facts;
        }
        InputStream body = request.bodyStream();
        McpMessages.Request read = body == null ? McpMessages.Request.NONE : McpMessages.request(body);
        return facts.withCall(call(read, address, request.header(SESSION_HEADER)));
    }

    /** The call {@code read} is, and whether it may run twice. */
    McpCall call(McpMessages.Request read, String address, String session) {
        String method = read.method();
        if (read.batch()) {
            return new McpCall(null, null, null, false, "a JSON-RPC batch is never repeated");
        }
        if (method == null) {
            return new McpCall(null, read.id(), null, false, "a message without a JSON-RPC method is never repeated");
        }
        if (SAFE_METHODS.contains(method)) {
            return new McpCall(method, read.id(), null, true, method + " only reads");
        }
        if (!"tools/call".equals(method)) {
            return new McpCall(method, read.id(), null, false, method + " is not known to be safe to repeat");
        }
        String tool = read.tool();
        Boolean safe = tool == null ? null : tools.safe(address, session, tool);
        String name = "tools/call of '" + tool + "'";
        String why = Boolean.TRUE.equals(safe)
                ? name + " was announced read-only or idempotent"
                : safe == null
                        ? name + " names a tool the server's tools/list was not seen to announce"
                        : name + " was not announced read-only or idempotent (readOnlyHint, idempotentHint)";
        return new McpCall(method, read.id(), tool, Boolean.TRUE.equals(safe), why);
    }

    /** Learns the tools a relayed {@code tools/list} answer announces; other messages teach nothing. */
    void learn(String address, String session, String message) {
        Map<String, Boolean> listed = McpMessages.toolsListed(message);
        if (listed != null) {
            tools.learn(address, session, listed);
        }
    }

    @Override
    public Optional<StopReason> neverRetry(ResponseHead head) {
        return ANSWERS.neverRetry(head);
    }

    @Override
    public boolean upstreamSaysRetry(ResponseHead head) {
        return false;
    }

    @Override
    public boolean wantsErrorBody(int status) {
        return false;
    }

    @Override
    public ErrorFields errorFields(byte[] bodyPrefix) {
        return ErrorFields.NONE;
    }

    @Override
    public Optional<ServerHint> hint(ServerHints hints, ResponseHead head) {
        return hints.read(head);
    }

    @Override
    public BudgetReport budget(ServerHints hints, ResponseHead head) {
        return BudgetReport.NONE;
    }

    @Override
    public String model(OutgoingRequest request) {
        return null;
    }
}
