package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class ModelLabelsTest {
    @Test
    void modelsPastTheLimitFoldIntoOther() {
        ModelLabels labels = new ModelLabels(2);

        assertThat(labels.of("gpt-4o")).isEqualTo("gpt-4o");
        assertThat(labels.of("claude-sonnet-4")).isEqualTo("claude-sonnet-4");
        assertThat(labels.of("gpt-5")).isEqualTo("other");
        // A model kept before the limit was reached keeps its label.
        assertThat(labels.of("gpt-4o")).isEqualTo("gpt-4o");
        assertThat(labels.of(null)).isEqualTo("none");
        assertThat(labels.of("")).isEqualTo("none");
        assertThat(labels.size()).isEqualTo(2);
    }

    @Test
    void theRequestAttemptAndTokenSeriesCarryTheBoundedModelLabel() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics metrics = new Metrics(registry, dev.breakwater.time.Ticker.system(), 1);
        RouteMetrics route = metrics.route("openai");

        route.request(200, AccessLog.Outcome.OK, "gpt-4o", 1_000_000);
        route.request(429, AccessLog.Outcome.CLIENT_ERROR, "gpt-5", 1_000_000);
        route.attempt("openai", "gpt-4o", RouteMetrics.attemptOutcome(429));
        route.tokens("gpt-4o", 7, 3);
        route.tokens("gpt-4o", 1, 0);

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("breakwater_requests_total{model=\"gpt-4o\",outcome=\"ok\",route=\"openai\","
                        + "status_class=\"2xx\"} 1.0")
                .contains("breakwater_requests_total{model=\"other\",outcome=\"client_error\",route=\"openai\","
                        + "status_class=\"4xx\"} 1.0")
                .contains("breakwater_upstream_attempts_total{model=\"gpt-4o\",outcome=\"429\",route=\"openai\","
                        + "upstream=\"openai\"} 1.0")
                .contains("breakwater_tokens_total{kind=\"input\",model=\"gpt-4o\",route=\"openai\"} 8.0")
                .contains("breakwater_tokens_total{kind=\"output\",model=\"gpt-4o\",route=\"openai\"} 3.0");
    }
}
