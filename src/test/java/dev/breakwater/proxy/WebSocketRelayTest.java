package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class WebSocketRelayTest {

    @Test
    void spotsTheRateLimitsEventNearTheStartOfAFrame() {
        assertThat(WebSocketRelay.announces(Buffer.buffer("{\"type\":\"rate_limits.updated\",\"rate_limits\":[]}")))
                .isTrue();
        assertThat(WebSocketRelay.announces(
                        Buffer.buffer("{\"event_id\":\"event_AbCdEf0123456789xyz\",\"type\":\"rate_limits.updated\"}")))
                .isTrue();
    }

    @Test
    void passesOverOtherFramesWithoutReadingThemWhole() {
        assertThat(WebSocketRelay.announces(
                        Buffer.buffer("{\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}")))
                .isFalse();
        // Mentioned only deep inside a large event (a model quoting the name): not read.
        String deep = "{\"type\":\"response.output_text.delta\",\"delta\":\"" + "x".repeat(200)
                + "\\\"rate_limits.updated\\\"\"}";
        assertThat(WebSocketRelay.announces(Buffer.buffer(deep))).isFalse();
        assertThat(WebSocketRelay.announces(Buffer.buffer("rate_limits.updated")))
                .isFalse();
        assertThat(WebSocketRelay.announces(Buffer.buffer(""))).isFalse();
    }
}
