package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.NodeSdk;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An MCP route ({@code provider: mcp}) between the official MCP TypeScript SDK's client and a server built with the
 * same SDK, over loopback Streamable HTTP (src/test/node/mcp-server.mjs, mcp-client.mjs). The server fails chosen
 * JSON-RPC calls on request (a 503, or a connection reset after reading the call) and counts what reached it.
 */
class McpIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static NodeSdk.Server server;
    private static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        server = NodeSdk.start("mcp-server.mjs");
        proxy = TestProxy.start("""
                defaults:
                  timeouts: {connect: 2s, response: 5s, idle: 5s, total: 0}
                  retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0}
                  circuit-breaker: {enabled: false}
                routes:
                  - name: tools
                    path-prefix: /mcp
                    upstream: http://127.0.0.1:%1$d
                    provider: mcp
                    stream: {idle-timeout: 10m}
                  - name: json-tools
                    path-prefix: /json
                    upstream: http://127.0.0.1:%1$d
                    provider: mcp
                  - name: quiet-tools
                    path-prefix: /quiet
                    upstream: http://127.0.0.1:%1$d
                    provider: mcp
                    stream: {first-event-timeout: 100ms, idle-timeout: 10m}
                """.formatted(serverPort()));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void initializeAndToolsListAreRetriedAfterA503() throws Exception {
        JsonObject before = stats();
        arm("initialize", null, "503");
        arm("tools/list", null, "503");

        JsonObject out = client("list");

        assertThat(out.getBoolean("connected")).as(out.encode()).isTrue();
        assertThat(step(out, 0).getBoolean("ok")).as(out.encode()).isTrue();
        assertThat(step(out, 0).getJsonArray("tools").getList()).contains("lookup", "refund");
        JsonObject after = stats();
        assertThat(attempts(after, "initialize") - attempts(before, "initialize"))
                .isEqualTo(2);
        assertThat(attempts(after, "tools/list") - attempts(before, "tools/list"))
                .isEqualTo(2);
    }

    @Test
    void aCallOfAToolAnnouncedIdempotentIsRetriedAfterA503() throws Exception {
        JsonObject before = stats();
        arm("tools/call", "lookup", "503");

        JsonObject out = client("list", "call:lookup");

        assertThat(step(out, 1).getBoolean("ok")).as(out.encode()).isTrue();
        assertThat(step(out, 1).getString("text")).isEqualTo("lookup done");
        JsonObject after = stats();
        assertThat(attempts(after, "tools/call") - attempts(before, "tools/call"))
                .isEqualTo(2);
        assertThat(runs(after, "lookup") - runs(before, "lookup")).isEqualTo(1);
    }

    @Test
    void annotationsAreLearnedFromAJsonAnswerToo() throws Exception {
        JsonObject before = stats();
        arm("tools/call", "lookup", "503");

        JsonObject out = clientAt("/json/mcp", "list", "call:lookup");

        assertThat(step(out, 1).getBoolean("ok")).as(out.encode()).isTrue();
        JsonObject after = stats();
        assertThat(attempts(after, "tools/call") - attempts(before, "tools/call"))
                .isEqualTo(2);
        assertThat(runs(after, "lookup") - runs(before, "lookup")).isEqualTo(1);
    }

    @Test
    void aCallOfAnUnannotatedToolIsNotRetriedAfterAResetAndTheClientLearnsWhy() throws Exception {
        JsonObject before = stats();
        arm("tools/call", "refund", "reset");

        JsonObject out = client("list", "call:refund");

        JsonObject call = step(out, 1);
        assertThat(call.getBoolean("ok")).as(out.encode()).isFalse();
        assertThat(call.getString("message"))
                .contains("upstream_reset")
                .contains("not retried: tools/call of 'refund' was not announced read-only or idempotent");
        JsonObject after = stats();
        assertThat(attempts(after, "tools/call") - attempts(before, "tools/call"))
                .isEqualTo(1);
        assertThat(runs(after, "refund") - runs(before, "refund")).isZero();
    }

    @Test
    void theSessionIdReachesTheServerUnchangedOnEveryCall() throws Exception {
        JsonObject before = stats();

        JsonObject out = client("list", "call:lookup", "call:refund");

        String session = out.getString("sessionId");
        assertThat(session).as(out.encode()).isNotBlank();
        assertThat(out.getJsonArray("steps")).hasSize(3);
        JsonObject after = stats();
        for (String method : List.of("notifications/initialized", "tools/list", "tools/call")) {
            List<Object> seen = newSessions(before, after, method);
            assertThat(seen).as(method).isNotEmpty().containsOnly(session);
        }
    }

    @Test
    void theServersGetStreamIsCommittedAtItsHeadersThoughItStaysSilent() throws Exception {
        HttpResponse<String> initialized = HTTP.send(
                HttpRequest.newBuilder(proxy.uri("/quiet/mcp"))
                        .header("content-type", "application/json")
                        .header("accept", "application/json, text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                        + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                                        + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        String session = initialized.headers().firstValue("mcp-session-id").orElseThrow();

        // Held for its first event, this silent stream would end in a 504 after 100 ms (first-event-timeout); its
        // head must arrive before the server's first keep-alive comment (15 s).
        HttpResponse<java.io.InputStream> stream = HTTP.sendAsync(
                        HttpRequest.newBuilder(proxy.uri("/quiet/mcp"))
                                .header("accept", "text/event-stream")
                                .header("mcp-session-id", session)
                                .header("mcp-protocol-version", "2025-06-18")
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream())
                .get(5, TimeUnit.SECONDS);

        try (java.io.InputStream body = stream.body()) {
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.headers().firstValue("content-type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(stream.headers().firstValue("x-breakwater-attempts")).contains("1");
            // Ending the session lets the server end its stream.
            HttpResponse<String> ended = HTTP.send(
                    HttpRequest.newBuilder(proxy.uri("/quiet/mcp"))
                            .header("mcp-session-id", session)
                            .header("mcp-protocol-version", "2025-06-18")
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ended.statusCode()).isEqualTo(200);
        }
    }

    private static JsonObject client(String... steps) throws Exception {
        return clientAt("/mcp", steps);
    }

    private static JsonObject clientAt(String path, String... steps) throws Exception {
        String[] args = new String[steps.length + 1];
        args[0] = proxy.uri(path).toString();
        System.arraycopy(steps, 0, args, 1, steps.length);
        return NodeSdk.run("mcp-client.mjs", args);
    }

    private static JsonObject step(JsonObject out, int index) {
        return out.getJsonArray("steps").getJsonObject(index);
    }

    private static int serverPort() {
        return server.started().getInteger("port");
    }

    private static void arm(String method, String tool, String fault) throws Exception {
        JsonObject body = new JsonObject()
                .put("method", method)
                .put("tool", tool)
                .put("fault", fault)
                .put("times", 1);
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort() + "/faults"))
                        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
    }

    private static JsonObject stats() throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort() + "/stats"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(response.body());
    }

    private static int attempts(JsonObject stats, String method) {
        return stats.getJsonObject("attempts").getInteger(method, 0);
    }

    private static int runs(JsonObject stats, String tool) {
        return stats.getJsonObject("runs").getInteger(tool, 0);
    }

    /** The session ids the server saw on {@code method} calls between two snapshots. */
    private static List<Object> newSessions(JsonObject before, JsonObject after, String method) {
        JsonArray was = before.getJsonObject("sessions").getJsonArray(method, new JsonArray());
        JsonArray now = after.getJsonObject("sessions").getJsonArray(method, new JsonArray());
        return now.getList().subList(was.size(), now.size());
    }
}
