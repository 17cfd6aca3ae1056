package dev.breakwater.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class TextLayoutTest {
    private final LoggerContext context = new LoggerContext();
    private final TextLayout layout = new TextLayout();

    private String layOut(String message, Object... arguments) {
        LoggingEvent event =
                new LoggingEvent("test", context.getLogger("breakwater.access"), Level.INFO, message, null, arguments);
        String line = layout.doLayout(event);
        assertThat(line).endsWith(System.lineSeparator());
        return line.substring(
                line.indexOf("breakwater.access "),
                line.length() - System.lineSeparator().length());
    }

    @Test
    void aHeaderValueCannotForgeExtraFields() {
        String line = layOut(
                "request",
                kv("status", 502),
                kv("outcome", "proxy_error"),
                kv("traceparent", "00-abc status=200 outcome=ok"));

        assertThat(line)
                .isEqualTo("breakwater.access request status=502 outcome=proxy_error"
                        + " traceparent=\"00-abc status=200 outcome=ok\"");
    }

    @Test
    void aLineBreakCannotForgeALogLine() {
        String line = layOut("request", kv("path", "/x\r\n12:00:00.000 INFO breakwater.access request status=200"));

        assertThat(line)
                .doesNotContain("\n")
                .doesNotContain("\r")
                .isEqualTo("breakwater.access request path=\"/x\\r\\n12:00:00.000 INFO breakwater.access request"
                        + " status=200\"");
    }

    @Test
    void quotesAndBackslashesAreEscapedInsideQuotes() {
        assertThat(layOut("request", kv("path", "/a\"b\\c")))
                .isEqualTo("breakwater.access request path=\"/a\\\"b\\\\c\"");
        assertThat(layOut("request", kv("path", "/a\u0007b")))
                .isEqualTo("breakwater.access request path=\"/a\\u0007b\"");
        assertThat(layOut("request", kv("reason", ""))).isEqualTo("breakwater.access request reason=\"\"");
    }

    @Test
    void plainValuesStayBare() {
        assertThat(layOut(
                        "request",
                        kv("route", "openai"),
                        kv("status", 200),
                        kv("duration_ms", 1.5),
                        kv("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")))
                .isEqualTo("breakwater.access request route=openai status=200 duration_ms=1.5"
                        + " traceparent=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    }

    @Test
    void fieldsInsideAMessageAreQuotedToo() {
        assertThat(layOut("config_reloaded {} {}", kv("routes", 2), kv("summary", "2 route(s); x=1")))
                .isEqualTo("breakwater.access config_reloaded routes=2 summary=\"2 route(s); x=1\"");
        assertThat(layOut("listening on {}:{}", "127.0.0.1", 8080))
                .isEqualTo("breakwater.access listening on 127.0.0.1:8080");
        assertThat(layOut("bad {}", "a\nb")).isEqualTo("breakwater.access bad a\\nb");
    }
}
