package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.time.Ticker;
import org.junit.jupiter.api.Test;

class TraceExemplarsTest {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String SPAN = "b7ad6b7169203331";

    /** A sampled trace, as SpanTrace would report it, without the SDK. */
    private static RequestTrace sampled(boolean sampled) {
        return new RequestTrace() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public boolean sampled() {
                return sampled;
            }

            @Override
            public String traceId() {
                return TRACE;
            }

            @Override
            public String spanId() {
                return SPAN;
            }
        };
    }

    @Test
    void anOpenMetricsScrapeCarriesTheTraceOfARequestItCounted() {
        Metrics metrics = Metrics.withExemplars(Ticker.system(), 10);
        metrics.route("openai").request(200, AccessLog.Outcome.OK, "gpt-4o", 3_000_000, sampled(true));

        Metrics.Scrape open = metrics.scrape("application/openmetrics-text; version=1.0.0,text/plain;q=0.5");
        assertThat(open.contentType()).startsWith("application/openmetrics-text");
        assertThat(open.body())
                .contains("breakwater_requests_total{model=\"gpt-4o\",outcome=\"ok\",route=\"openai\","
                        + "status_class=\"2xx\"} 1.0 # {span_id=\"" + SPAN + "\",trace_id=\"" + TRACE + "\"}")
                .containsPattern("breakwater_request_duration_seconds_bucket\\{route=\"openai\",le=\"0.005\"} 1 # "
                        + "\\{span_id=\"" + SPAN + "\",trace_id=\"" + TRACE + "\"} 0.003")
                .endsWith("# EOF\n");

        Metrics.Scrape text = metrics.scrape("text/plain");
        assertThat(text.contentType()).startsWith("text/plain; version=0.0.4");
        assertThat(text.body()).doesNotContain(TRACE);
    }

    @Test
    void anUnsampledTraceLeavesNoExemplar() {
        Metrics metrics = Metrics.withExemplars(Ticker.system(), 10);
        metrics.route("openai").request(200, AccessLog.Outcome.OK, "gpt-4o", 3_000_000, sampled(false));

        assertThat(metrics.scrape("application/openmetrics-text").body()).doesNotContain(TRACE);
    }
}
