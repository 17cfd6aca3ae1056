package dev.breakwater.observability;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.breakwater.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AccessLogTest {
    @Test
    void aLineWithEveryOptionalFieldIsWrittenWhole() {
        try (LogCapture capture = LogCapture.of("breakwater.access")) {
            new AccessLog()
                    .request(new AccessLog.Entry(
                            "id-1",
                            "openai",
                            "POST",
                            "/v1/chat/completions",
                            502,
                            3,
                            2_000_000,
                            AccessLog.Outcome.PROXY_ERROR,
                            "upstream_unreachable",
                            new AccessLog.Upstream("openai", "api.openai.com:443"),
                            "gpt-4o",
                            "req_123",
                            1_000_000,
                            42,
                            120,
                            "127.0.0.1",
                            "Connection refused",
                            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                            "0af7651916cd43dd8448eb211c80319c",
                            "00f067aa0ba902b7"));

            assertThat(capture.lines())
                    .singleElement()
                    .satisfies(line -> assertThat(line)
                            .contains("upstream_host=api.openai.com:443")
                            .contains("model=gpt-4o")
                            .contains("upstream_request_id=req_123")
                            .contains("ttfb_ms=1.0")
                            .contains("bytes_in=42")
                            .contains("bytes_out=120")
                            .contains("client=127.0.0.1")
                            .contains("error=Connection refused")
                            .contains("traceparent=00-0af7")
                            .contains("trace_id=0af7651916cd43dd8448eb211c80319c")
                            .contains("span_id=00f067aa0ba902b7"));
        }
    }

    /**
     * The line's JSON is what one {@code kv} argument per field gave before it became one argument: same names,
     * order, types (numbers as numbers, a missing reason as null).
     */
    @Test
    void theJsonLineHasTheFieldsOneKvArgumentEachWouldGive() throws Exception {
        AccessLog.Entry entry = new AccessLog.Entry(
                "id-2",
                "openai",
                "POST",
                "/v1/chat/completions",
                200,
                1,
                1_500_000,
                AccessLog.Outcome.OK,
                null,
                new AccessLog.Upstream("openai", "127.0.0.1:18301"),
                "gpt-4o",
                null,
                700_000,
                120,
                345,
                "127.0.0.1",
                null,
                null,
                null,
                null);
        ILoggingEvent line = capture("breakwater.access", () -> new AccessLog().request(entry));
        ILoggingEvent byKv = capture(
                "breakwater.access.kv",
                () -> LoggerFactory.getLogger("breakwater.access.kv")
                        .info(
                                "request",
                                kv("request_id", "id-2"),
                                kv("route", "openai"),
                                kv("method", "POST"),
                                kv("path", "/v1/chat/completions"),
                                kv("status", 200),
                                kv("attempts", 1),
                                kv("duration_ms", 1.5),
                                kv("outcome", "ok"),
                                kv("reason", null),
                                kv("upstream", "openai"),
                                kv("upstream_host", "127.0.0.1:18301"),
                                kv("model", "gpt-4o"),
                                kv("ttfb_ms", 0.7),
                                kv("bytes_in", 120L),
                                kv("bytes_out", 345L),
                                kv("client", "127.0.0.1")));

        Map<String, Object> json = json(line);
        Map<String, Object> expected = json(byKv);
        for (String volatileField : new String[] {"@timestamp", "logger_name", "thread_name"}) {
            json.remove(volatileField);
            expected.remove(volatileField);
        }
        assertThat(json).containsExactlyEntriesOf(expected);
        assertThat(json)
                .containsEntry("status", 200)
                .containsEntry("duration_ms", 1.5)
                .containsEntry("reason", null);
    }

    private static ILoggingEvent capture(String loggerName, Runnable logging) {
        Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            logging.run();
        } finally {
            logger.detachAppender(appender);
        }
        assertThat(appender.list).hasSize(1);
        return appender.list.get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(ILoggingEvent event) throws Exception {
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(((Logger) LoggerFactory.getLogger("ROOT")).getLoggerContext());
        encoder.start();
        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
        return new ObjectMapper().readValue(line, java.util.LinkedHashMap.class);
    }

    /** The text format shows each field of the line as name=value, quoting a value with spaces. */
    @Test
    void theTextLayoutShowsEachFieldAsNameEqualsValue() {
        AccessLog.Entry entry = new AccessLog.Entry(
                "id-3",
                "openai",
                "POST",
                "/v1/chat/completions",
                502,
                2,
                3_000_000,
                AccessLog.Outcome.PROXY_ERROR,
                "upstream_unreachable",
                null,
                null,
                null,
                -1,
                10,
                0,
                null,
                "Connection refused",
                null,
                null,
                null);
        ILoggingEvent line = capture("breakwater.access", () -> new AccessLog().request(entry));

        assertThat(new TextLayout().doLayout(line))
                .contains(" breakwater.access request request_id=id-3 route=openai method=POST"
                        + " path=/v1/chat/completions status=502 attempts=2 duration_ms=3.0 outcome=proxy_error"
                        + " reason=upstream_unreachable upstream=- bytes_in=10 bytes_out=0"
                        + " error=\"Connection refused\"");
    }
}
