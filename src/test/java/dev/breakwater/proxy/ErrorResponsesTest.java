package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.config.Provider;
import dev.breakwater.proxy.ErrorResponses.Shape;
import dev.breakwater.resilience.StreamDialect;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrorResponsesTest {

    @Test
    void bodyHasOpenAiErrorShape() {
        String body =
                ErrorResponses.body("upstream_timeout", "no headers in time").toString();

        assertThat(body)
                .isEqualTo("{\"error\":{\"message\":\"no headers in time\",\"type\":\"breakwater_error\","
                        + "\"code\":\"upstream_timeout\",\"param\":null}}");
    }

    @Test
    void bodyErrorHasExactlyMessageTypeCodeAndNullParam() {
        JsonObject json = new JsonObject(ErrorResponses.body("deadline_exceeded", "too slow"));

        assertThat(json.fieldNames()).containsExactly("error");
        JsonObject error = json.getJsonObject("error");
        assertThat(error.fieldNames()).containsExactlyInAnyOrder("message", "type", "code", "param");
        assertThat(error.getString("message")).isEqualTo("too slow");
        assertThat(error.getString("type")).isEqualTo(ErrorResponses.TYPE).isEqualTo("breakwater_error");
        assertThat(error.getString("code")).isEqualTo("deadline_exceeded");
        assertThat(error.containsKey("param")).isTrue();
        assertThat(error.getValue("param")).isNull();
    }

    @Test
    void messageWithQuotesAndNewlinesIsEscapedAndRoundTrips() {
        String message = "route \"a\"\nfailed\\";

        JsonObject error = new JsonObject(ErrorResponses.body("c", message)).getJsonObject("error");

        assertThat(error.getString("message")).isEqualTo(message);
    }

    @Test
    void errorObjectIsTheBodyWithoutTheWrapper() {
        assertThat(ErrorResponses.error("c", "m"))
                .isEqualTo(new JsonObject(ErrorResponses.body("c", "m")).getJsonObject("error"));
    }

    @Test
    void sseEventIsADataLineEndedByABlankLine() {
        String event = ErrorResponses.sseEvent("upstream_reset", "closed").toString();

        assertThat(event).startsWith("data: ").endsWith("\n\n");
        String payload = event.substring("data: ".length(), event.length() - 2);
        assertThat(new JsonObject(payload)).isEqualTo(new JsonObject(ErrorResponses.body("upstream_reset", "closed")));
    }

    @Test
    void sseEventStaysOneDataLineEvenWhenTheMessageHasNewlines() {
        String event = ErrorResponses.sseEvent("c", "line one\nline two\r\n").toString();

        assertThat(event.substring(0, event.length() - 2)).doesNotContain("\n", "\r");
    }

    @Test
    void everyProviderButAnthropicGetsOpenAisShape() {
        assertThat(Shape.of(Provider.GENERIC)).isEqualTo(Shape.OPENAI);
        assertThat(Shape.of(Provider.OPENAI)).isEqualTo(Shape.OPENAI);
        assertThat(Shape.of(Provider.AZURE_OPENAI)).isEqualTo(Shape.OPENAI);
        assertThat(Shape.of(Provider.ANTHROPIC)).isEqualTo(Shape.ANTHROPIC);
        assertThat(ErrorResponses.body(Shape.OPENAI, 503, "circuit_open", "open"))
                .isEqualTo(ErrorResponses.body("circuit_open", "open"));
        assertThat(ErrorResponses.sseEvent(StreamDialect.CHAT, null, 502, "upstream_reset", "closed", 3))
                .isEqualTo(ErrorResponses.sseEvent("upstream_reset", "closed"));
    }

    @Test
    void anthropicBodyHasAnthropicsErrorShapeWithBreakwatersCodeInItsDetails() {
        String body = ErrorResponses.body(Shape.ANTHROPIC, 503, "circuit_open", "The circuit breaker is open")
                .toString();

        assertThat(body)
                .isEqualTo(
                        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                + "\"message\":\"The circuit breaker is open\",\"details\":{\"error_code\":\"circuit_open\"}}}");
    }

    @ParameterizedTest
    @CsvSource({
        "400, invalid_path, invalid_request_error",
        "400, invalid_request, invalid_request_error",
        "404, no_route, not_found_error",
        "405, method_not_allowed, invalid_request_error",
        "417, expectation_failed, invalid_request_error",
        "429, rate_limited, rate_limit_error",
        "502, upstream_unreachable, api_error",
        "502, upstream_reset, api_error",
        "502, upstream_protocol_error, api_error",
        "502, upstream_interrupted, api_error",
        "503, circuit_open, overloaded_error",
        "503, shutting_down, overloaded_error",
        "504, upstream_timeout, timeout_error",
        "504, deadline_exceeded, timeout_error"
    })
    void everyBreakwaterCodeMapsToAnAnthropicErrorType(int status, String code, String type) {
        JsonObject error =
                new JsonObject(ErrorResponses.body(Shape.ANTHROPIC, status, code, "m")).getJsonObject("error");

        assertThat(error.getString("type")).isEqualTo(type);
        assertThat(error.getJsonObject("details").getString("error_code")).isEqualTo(code);
    }

    @Test
    void anthropicSseEventIsANamedErrorEventOnOneDataLine() {
        String event = ErrorResponses.sseEvent(
                        StreamDialect.ANTHROPIC, null, 502, "upstream_interrupted", "broke\noff", 0)
                .toString();

        assertThat(event).startsWith("event: error\ndata: ").endsWith("\n\n");
        String payload = event.substring("event: error\ndata: ".length(), event.length() - 2);
        assertThat(payload).doesNotContain("\n", "\r");
        assertThat(new JsonObject(payload))
                .isEqualTo(new JsonObject(
                        ErrorResponses.body(Shape.ANTHROPIC, 502, "upstream_interrupted", "broke\noff")));
    }

    @Test
    void responsesSseEventIsTheDocumentedErrorEventWithAnErrorMemberSdksRaiseOn() {
        String event = ErrorResponses.sseEvent(
                        StreamDialect.RESPONSES, null, 502, "upstream_interrupted", "broke off", 7)
                .toString();

        assertThat(event).startsWith("event: error\ndata: ").endsWith("\n\n");
        JsonObject payload = new JsonObject(event.substring("event: error\ndata: ".length(), event.length() - 2));
        assertThat(payload.getString("type")).isEqualTo("error");
        assertThat(payload.getString("code")).isEqualTo("upstream_interrupted");
        assertThat(payload.getString("message")).isEqualTo("broke off");
        assertThat(payload.getLong("sequence_number")).isEqualTo(7);
        assertThat(payload.getJsonObject("error").getString("code")).isEqualTo("upstream_interrupted");
    }

    @Test
    void mcpRoutesAnswerAJsonRpcErrorWithTheRequestsNumericId() {
        JsonObject body = new JsonObject(ErrorResponses.jsonRpc(
                "7", ErrorResponses.SERVER_ERROR, 502, "upstream_reset", "closed; not retried: because"));

        assertThat(Shape.of(Provider.MCP)).isEqualTo(Shape.MCP);
        assertThat(body.getString("jsonrpc")).isEqualTo("2.0");
        assertThat(body.getValue("id")).isEqualTo(7);
        assertThat(body.getJsonObject("error").getInteger("code")).isEqualTo(-32000);
        assertThat(body.getJsonObject("error").getString("message")).isEqualTo("closed; not retried: because");
        assertThat(body.getJsonObject("error").getJsonObject("data").getString("breakwater_code"))
                .isEqualTo("upstream_reset");
        assertThat(body.getJsonObject("error").getJsonObject("data").getInteger("http_status"))
                .isEqualTo(502);
    }

    @Test
    void mcpRoutesAnswerAJsonRpcErrorWithTheRequestsStringIdOrNull() {
        assertThat(new JsonObject(ErrorResponses.jsonRpc("\"a-1\"", -32000, 503, "circuit_open", "m")).getValue("id"))
                .isEqualTo("a-1");
        JsonObject noId = new JsonObject(ErrorResponses.body(Shape.MCP, 504, "deadline_exceeded", "m"));
        assertThat(noId.containsKey("id")).isTrue();
        assertThat(noId.getValue("id")).isNull();
    }

    @Test
    void aBrokenMcpStreamEndsWithAJsonRpcInternalErrorMessage() {
        String event = ErrorResponses.jsonRpcEvent("3", 502, "upstream_interrupted", "broke off")
                .toString();

        assertThat(event)
                .startsWith("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,")
                .endsWith("}\n\n");
        JsonObject data =
                new JsonObject(event.substring(event.indexOf("data: ") + 6).trim());
        assertThat(data.getJsonObject("error").getInteger("code")).isEqualTo(-32603);
        assertThat(data.getJsonObject("error").getJsonObject("data").getString("breakwater_code"))
                .isEqualTo("upstream_interrupted");
    }
}
