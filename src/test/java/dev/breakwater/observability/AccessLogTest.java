package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.LogCapture;
import org.junit.jupiter.api.Test;

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
}
