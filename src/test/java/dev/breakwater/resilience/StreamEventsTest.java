package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StreamEventsTest {
    @Test
    void aChatChunkIsContentAndAnErrorDataFrameIsAFailure() {
        assertThat(StreamEvents.classify(StreamDialect.CHAT, null, "{\"id\":\"c\",\"choices\":[]}"))
                .isInstanceOf(StreamEvents.Content.class);
        assertThat(StreamEvents.classify(StreamDialect.CHAT, null, "[DONE]")).isInstanceOf(StreamEvents.Content.class);

        StreamEvents.Verdict verdict = StreamEvents.classify(
                StreamDialect.CHAT,
                null,
                "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"code\":null}}");

        assertThat(verdict).isEqualTo(new StreamEvents.Failure(500, "server_error", null, "The server had an error"));
    }

    @Test
    void aCommentOrAnEventWithoutDataMeansNothing() {
        assertThat(StreamEvents.classify(StreamDialect.CHAT, null, null)).isNull();
        assertThat(StreamEvents.classify(StreamDialect.ANTHROPIC, "ping", null)).isNull();
    }

    @Test
    void responsesOpeningEventsHoldAndTheFirstOutputCommits() {
        assertThat(StreamEvents.classify(
                        StreamDialect.RESPONSES, "response.created", "{\"type\":\"response.created\"}"))
                .isInstanceOf(StreamEvents.Opening.class);
        assertThat(StreamEvents.classify(
                        StreamDialect.RESPONSES, "response.in_progress", "{\"type\":\"response.in_progress\"}"))
                .isInstanceOf(StreamEvents.Opening.class);
        assertThat(StreamEvents.classify(
                        StreamDialect.RESPONSES,
                        "response.output_text.delta",
                        "{\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}"))
                .isInstanceOf(StreamEvents.Content.class);
    }

    @Test
    void responsesFailedCarriesItsErrorInTheResponse() {
        StreamEvents.Verdict verdict = StreamEvents.classify(
                StreamDialect.RESPONSES,
                "response.failed",
                "{\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\",\"status\":\"failed\","
                        + "\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}}");

        assertThat(verdict).isEqualTo(new StreamEvents.Failure(500, "server_error", "server_error", "boom"));
    }

    @Test
    void responsesErrorEventUsesItsTopLevelCode() {
        StreamEvents.Verdict verdict = StreamEvents.classify(
                StreamDialect.RESPONSES,
                "error",
                "{\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\",\"param\":null}");

        assertThat(verdict)
                .isEqualTo(new StreamEvents.Failure(429, "rate_limit_exceeded", "rate_limit_exceeded", "slow down"));
    }

    @Test
    void anthropicOverloadedInTheStreamIs529AndItsPreambleHolds() {
        assertThat(StreamEvents.classify(StreamDialect.ANTHROPIC, "message_start", "{\"type\":\"message_start\"}"))
                .isInstanceOf(StreamEvents.Opening.class);
        assertThat(StreamEvents.classify(
                        StreamDialect.ANTHROPIC, "content_block_start", "{\"type\":\"content_block_start\"}"))
                .isInstanceOf(StreamEvents.Opening.class);
        assertThat(StreamEvents.classify(
                        StreamDialect.ANTHROPIC, "content_block_delta", "{\"type\":\"content_block_delta\"}"))
                .isInstanceOf(StreamEvents.Content.class);

        StreamEvents.Verdict verdict = StreamEvents.classify(
                StreamDialect.ANTHROPIC,
                "error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");

        assertThat(verdict).isEqualTo(new StreamEvents.Failure(529, "overloaded_error", null, "Overloaded"));
    }

    @ParameterizedTest
    @CsvSource({
        "CHAT, server_error, 500",
        "CHAT, insufficient_quota, 429",
        "CHAT, invalid_request_error, 400",
        "CHAT, invalid_api_key, 401",
        "ANTHROPIC, api_error, 500",
        "ANTHROPIC, rate_limit_error, 429",
        "ANTHROPIC, overloaded_error, 529",
        "ANTHROPIC, timeout_error, 504",
        "ANTHROPIC, permission_error, 403",
        "ANTHROPIC, not_found_error, 404",
        "ANTHROPIC, request_too_large, 413",
        "RESPONSES, something_new, 500"
    })
    void errorTypesMapToTheStatusOfTheSameFailureAsAResponse(StreamDialect dialect, String type, int status) {
        assertThat(StreamEvents.statusOf(dialect, type, null)).isEqualTo(status);
    }

    @Test
    void onlyEventsThatMayReportAnErrorAreReadWhole() {
        assertThat(StreamEvents.mayReportError("event: error\ndata: {}")).isTrue();
        assertThat(StreamEvents.mayReportError("event: response.failed\ndata: {}"))
                .isTrue();
        assertThat(StreamEvents.mayReportError("data: {\"error\":{}}")).isTrue();
        assertThat(StreamEvents.mayReportError("data: {\"id\":\"chatcmpl-1\"}")).isFalse();
        assertThat(StreamEvents.mayReportError("event: content_block_delta\ndata: {}"))
                .isFalse();
        assertThat(StreamEvents.mayReportError("")).isFalse();
    }
}
