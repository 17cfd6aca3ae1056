package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.RetrySpec;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class McpRulesTest {
    private static final String UPSTREAM = "127.0.0.1:9000";
    private static final String TOOLS = """
            {"result":{"tools":[
              {"name":"lookup","inputSchema":{"type":"object"},"annotations":{"idempotentHint":true}},
              {"name":"search","annotations":{"readOnlyHint":true,"destructiveHint":false}},
              {"name":"refund","annotations":{"idempotentHint":false}},
              {"name":"plain","description":"no annotations"}]},"jsonrpc":"2.0","id":2}""";
    /** Built-in defaults: POST is not retried by method. */
    private static final RetryClassifier DEFAULTS = new RetryClassifier(new RetrySpec(
            3,
            Duration.ofMillis(100),
            2.0,
            Duration.ofSeconds(1),
            0.0,
            Set.of(408, 429, 500, 502, 503, 504),
            Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
            Duration.ofSeconds(60),
            8 * 1024 * 1024,
            true,
            true));

    private final McpToolSafety memory = new McpToolSafety(100);
    private final McpRules rules = new McpRules(memory);

    private RequestFacts post(String body, String session, boolean idempotencyKey) {
        OutgoingRequest request = new OutgoingRequest() {
            @Override
            public String header(String name) {
                return name.equals("mcp-session-id") ? session : null;
            }

            @Override
            public InputStream bodyStream() {
                return new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
            }
        };
        return rules.describe(new RequestFacts("POST", idempotencyKey, true), request, UPSTREAM);
    }

    private static String call(String tool) {
        return "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"name\":\"not this\"}}}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"initialize", "tools/list", "resources/read", "prompts/get", "ping"})
    void readingMethodsMayRepeatThoughPostIsNotARetryMethod(String method) {
        RequestFacts facts = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\"}", "s1", false);

        assertThat(facts.call().method()).isEqualTo(method);
        assertThat(DEFAULTS.mayRepeat(facts)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}",
                "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sampling/createMessage\"}",
                "not json"
            })
    void notificationsResponsesBatchesAndOtherMethodsDoNot(String body) {
        assertThat(DEFAULTS.mayRepeat(post(body, "s1", false))).isFalse();
    }

    @Test
    void aToolCallMayRepeatOnlyWhenItsSessionsListingAnnouncedItSafe() {
        rules.learn(UPSTREAM, "s1", TOOLS);

        assertThat(DEFAULTS.mayRepeat(post(call("lookup"), "s1", false))).isTrue();
        assertThat(DEFAULTS.mayRepeat(post(call("search"), "s1", false))).isTrue();
        assertThat(DEFAULTS.mayRepeat(post(call("refund"), "s1", false))).isFalse();
        assertThat(DEFAULTS.mayRepeat(post(call("plain"), "s1", false))).isFalse();
        assertThat(DEFAULTS.mayRepeat(post(call("lookup"), "s2", false)))
                .as("another session's listing")
                .isFalse();
        assertThat(DEFAULTS.mayRepeat(post(call("lookup"), null, false)))
                .as("no session")
                .isFalse();
    }

    @Test
    void aServerWithoutSessionsIsRememberedPerUpstream() {
        rules.learn(UPSTREAM, null, TOOLS);

        assertThat(DEFAULTS.mayRepeat(post(call("lookup"), null, false))).isTrue();
    }

    @Test
    void theReasonNamesTheTool() {
        rules.learn(UPSTREAM, "s1", TOOLS);

        assertThat(post(call("refund"), "s1", false).call().why())
                .isEqualTo("tools/call of 'refund' was not announced read-only or idempotent"
                        + " (readOnlyHint, idempotentHint)");
        assertThat(post(call("unknown"), "s1", false).call().why())
                .isEqualTo("tools/call of 'unknown' names a tool the server's tools/list was not seen to announce");
    }

    @Test
    void anIdempotencyKeyMakesAnyCallRepeatable() {
        assertThat(DEFAULTS.mayRepeat(post(call("refund"), "s1", true))).isTrue();
    }

    @Test
    void aLaterListingReplacesATool() {
        rules.learn(UPSTREAM, "s1", TOOLS);
        rules.learn(UPSTREAM, "s1", "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"lookup\"}]}}");

        assertThat(DEFAULTS.mayRepeat(post(call("lookup"), "s1", false))).isFalse();
        assertThat(DEFAULTS.mayRepeat(post(call("search"), "s1", false))).isTrue();
    }

    @Test
    void theIdIsKeptAsRawJson() {
        assertThat(post("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"ping\"}", null, false)
                        .call()
                        .id())
                .isEqualTo("42");
        assertThat(post("{\"id\":\"a\\\"b\",\"method\":\"ping\"}", null, false)
                        .call()
                        .id())
                .isEqualTo("\"a\\\"b\"");
        assertThat(post("{\"method\":\"notifications/cancelled\"}", null, false)
                        .call()
                        .id())
                .isNull();
    }

    @Test
    void otherHttpMethodsAreLeftToRetryMethods() {
        RequestFacts get = new RequestFacts("GET", false, true);

        assertThat(rules.describe(get, null, UPSTREAM)).isSameAs(get);
        assertThat(DEFAULTS.mayRepeat(get)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 405, 406, 413, 415, 422})
    void clientErrorsAndAnExpiredSessionAreNeverRetried(int status) {
        assertThat(rules.neverRetry(TestHead.of(status))).contains(StopReason.STATUS_NOT_RETRYABLE);
    }

    @ParameterizedTest
    @ValueSource(ints = {429, 500, 502, 503, 504})
    void overloadAndServerErrorsAreLeftToRetryOnStatus(int status) {
        assertThat(rules.neverRetry(TestHead.of(status))).isEmpty();
        RequestFacts facts = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", "s1", false);
        assertThat(DEFAULTS.onResponse(facts, TestHead.of(status), rules)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "-32603,500",
        "-32000,500",
        "-32099,500",
        "-32602,400",
        "-32600,400",
        "-32601,400",
        "-32700,400",
        "7,400"
    })
    void aJsonRpcErrorInAStreamHasTheStatusOfItsCode(String code, int status) {
        String data = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":" + code + ",\"message\":\"m\"}}";

        StreamEvents.Verdict verdict = StreamEvents.classify(StreamDialect.MCP, "message", data);

        assertThat(verdict)
                .isInstanceOfSatisfying(
                        StreamEvents.Failure.class, f -> assertThat(f.status()).isEqualTo(status));
    }

    @Test
    void aResultOrNotificationInAStreamIsContent() {
        assertThat(StreamEvents.classify(StreamDialect.MCP, "message", "{\"result\":{},\"jsonrpc\":\"2.0\",\"id\":1}"))
                .isInstanceOf(StreamEvents.Content.class);
        assertThat(StreamEvents.classify(
                        StreamDialect.MCP, null, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}"))
                .isInstanceOf(StreamEvents.Content.class);
    }

    @Test
    void toolsListedReadsAnnotations() {
        assertThat(McpMessages.toolsListed(TOOLS))
                .containsExactly(
                        Map.entry("lookup", true),
                        Map.entry("search", true),
                        Map.entry("refund", false),
                        Map.entry("plain", false));
        assertThat(McpMessages.toolsListed("{\"result\":{\"resources\":[]}}")).isNull();
        assertThat(McpMessages.toolsListed("{\"error\":{\"code\":-32603}}")).isNull();
        assertThat(McpMessages.toolsListed("{\"result\":{\"tools\":[{\"name\":\"cut"))
                .isNull();
    }

    @Test
    void theMemoryIsBoundedAndForgetsTheLeastRecentlyUsed() {
        McpToolSafety small = new McpToolSafety(2);
        small.learn(UPSTREAM, "a", Map.of("t", true));
        small.learn(UPSTREAM, "b", Map.of("t", true));
        assertThat(small.safe(UPSTREAM, "a", "t")).isTrue();

        small.learn(UPSTREAM, "c", Map.of("t", true));

        assertThat(small.size()).isEqualTo(2);
        assertThat(small.safe(UPSTREAM, "b", "t")).isNull();
        assertThat(small.safe(UPSTREAM, "a", "t")).isTrue();
        assertThat(small.safe(UPSTREAM, "c", "t")).isTrue();
    }
}
