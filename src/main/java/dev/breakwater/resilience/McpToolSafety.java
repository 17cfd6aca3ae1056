package dev.breakwater.resilience;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which tools an MCP server announced as safe to run twice ({@code readOnlyHint} or {@code idempotentHint} true in
 * its {@code tools/list}), remembered per upstream and session, the least recently used forgotten beyond a bound.
 * A server that runs without sessions is remembered under its upstream alone. Thread-safe: every event loop learns
 * and asks.
 */
final class McpToolSafety {
    /** The most tools remembered for one session; a longer list keeps its first ones. */
    static final int MAX_TOOLS = 1_000;

    private final Map<String, Map<String, Boolean>> sessions;

    /** @param maxSessions the most sessions (and session-less upstreams) remembered */
    McpToolSafety(int maxSessions) {
        this.sessions = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, Boolean>> eldest) {
                return size() > maxSessions;
            }
        };
    }

    /**
     * Learns a {@code tools/list} answer: each tool's name and whether it is safe to repeat. Pages of a listing
     * add to what earlier ones said; a tool listed again takes its latest annotations.
     *
     * @param session the {@code Mcp-Session-Id}, or null for a server without sessions
     */
    void learn(String upstream, String session, Map<String, Boolean> tools) {
        String key = key(upstream, session);
        synchronized (sessions) {
            Map<String, Boolean> known = sessions.computeIfAbsent(key, k -> new HashMap<>());
            for (Map.Entry<String, Boolean> tool : tools.entrySet()) {
                if (known.size() < MAX_TOOLS || known.containsKey(tool.getKey())) {
                    known.put(tool.getKey(), tool.getValue());
                }
            }
        }
    }

    /**
     * True when the upstream announced {@code tool} safe to repeat in {@code session}'s latest listing; null when
     * the session's listings (none seen, or forgotten) do not name it.
     */
    Boolean safe(String upstream, String session, String tool) {
        synchronized (sessions) {
            Map<String, Boolean> known = sessions.get(key(upstream, session));
            return known == null ? null : known.get(tool);
        }
    }

    /** Sessions (and session-less upstreams) remembered. */
    int size() {
        synchronized (sessions) {
            return sessions.size();
        }
    }

    private static String key(String upstream, String session) {
        return session == null ? upstream : upstream + ' ' + session;
    }
}
