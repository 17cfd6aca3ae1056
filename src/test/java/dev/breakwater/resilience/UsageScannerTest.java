package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsageScannerTest {
    @Test
    void openAiChatBody() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
                + "\"choices\":[{\"message\":{\"content\":\"the \\\"usage\\\": {\\\"prompt_tokens\\\": 99}\"}}],"
                + "\"usage\": {\"prompt_tokens\": 12, \"completion_tokens\": 34, \"total_tokens\": 46,"
                + " \"prompt_tokens_details\": {\"cached_tokens\": 0, \"audio_tokens\": 0}}}");
        assertThat(scanner.usage()).isEqualTo(new TokenUsage(12, 34));
        assertThat(scanner.model()).isEqualTo("gpt-4o-2024-08-06");
    }

    @Test
    void openAiChatStreamFinalChunkAfterNullUsages() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],"
                + "\"usage\":null}\n\n");
        assertThat(scanner.usage()).isNull();
        scanner.scan("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n");
        assertThat(scanner.usage()).isEqualTo(new TokenUsage(7, 2));
        assertThat(scanner.model()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void responsesCompletedEvent() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\","
                + "\"model\":\"gpt-4.1\",\"output\":[{\"content\":[{\"text\":\"x\"}]}],\"usage\":{\"input_tokens\":"
                + "30,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":5,\"total_tokens\":35}}}\n\n");
        assertThat(scanner.usage()).isEqualTo(new TokenUsage(30, 5));
        assertThat(scanner.model()).isEqualTo("gpt-4.1");
    }

    @Test
    void anthropicStreamStartThenDelta() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg\","
                + "\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":100,"
                + "\"output_tokens\":1}}}\n\n");
        assertThat(scanner.usage()).isEqualTo(new TokenUsage(25, 1));
        scanner.scan("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}"
                + "\n\n");
        scanner.scan("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                + "\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n");
        assertThat(scanner.usage()).isEqualTo(new TokenUsage(25, 15));
        assertThat(scanner.model()).isEqualTo("claude-sonnet-4-5");
    }

    @Test
    void aCutOffUsageObjectIsIgnored() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("{\"usage\":{\"prompt_tokens\":12,\"completion_tok");
        assertThat(scanner.usage()).isNull();
        assertThat(scanner.model()).isNull();
    }

    @Test
    void aTailThatStartsMidBodyStillFindsTheUsage() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("ent\":\"lots of text\"}}],\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}");
        assertThat(scanner.usage()).isEqualTo(new TokenUsage(3, 4));
    }

    @Test
    void textWithoutUsageGivesNothing() {
        UsageScanner scanner = new UsageScanner();
        scanner.scan("data: {\"choices\":[{\"delta\":{\"content\":\"usage is fine\"}}]}\n\n");
        scanner.scan("");
        assertThat(scanner.usage()).isNull();
    }
}
