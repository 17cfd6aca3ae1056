package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

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
}
