package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RealtimeEventsTest {

    private static BudgetReport read(String event) {
        return RealtimeEvents.rateLimits(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsRequestsAndTokensFromARateLimitsUpdatedEvent() {
        BudgetReport report = read("""
                {"type":"rate_limits.updated","event_id":"event_1","rate_limits":[
                  {"name":"requests","limit":1000,"remaining":999,"reset_seconds":0.06},
                  {"name":"tokens","limit":50000,"remaining":49000,"reset_seconds":1.2}]}""");

        assertThat(report).isEqualTo(new BudgetReport(1000, 999, 60, 50000, 49000, 1200));
    }

    @Test
    void readsTheEventWhenTheTypeComesAfterOtherFields() {
        BudgetReport report = read("""
                {"event_id":"event_2","rate_limits":[{"name":"tokens","limit":10,"remaining":0,"reset_seconds":0}],
                 "type":"rate_limits.updated"}""");

        assertThat(report).isEqualTo(new BudgetReport(-1, -1, -1, 10, 0, 1));
    }

    @Test
    void skipsUnknownLimitNamesAndFields() {
        BudgetReport report = read("""
                {"type":"rate_limits.updated","rate_limits":[
                  {"name":"audio_seconds","limit":5,"remaining":1,"reset_seconds":3},
                  {"name":"requests","limit":7,"remaining":6,"reset_seconds":2,"extra":{"nested":[1,2]}}]}""");

        assertThat(report).isEqualTo(new BudgetReport(7, 6, 2000, -1, -1, -1));
    }

    @Test
    void learnsNothingFromOtherEvents() {
        assertThat(read("""
                        {"type":"response.output_text.delta","rate_limits":[{"name":"requests","limit":1,"remaining":0}]}""")).isEqualTo(BudgetReport.NONE);
        assertThat(read("""
                        {"rate_limits":[{"name":"requests","limit":1,"remaining":0,"reset_seconds":1}]}""")).isEqualTo(BudgetReport.NONE);
    }

    @Test
    void learnsNothingFromBrokenJson() {
        assertThat(read("{\"type\":\"rate_limits.updated\",\"rate_limits\":[{\"name\":\"requests\",\"limit\":"))
                .isEqualTo(BudgetReport.NONE);
        assertThat(read("not json")).isEqualTo(BudgetReport.NONE);
        assertThat(read("")).isEqualTo(BudgetReport.NONE);
    }
}
