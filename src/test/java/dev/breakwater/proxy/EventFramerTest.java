package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventFramerTest {
    private final EventFramer framer = new EventFramer();
    private final List<String> events = new ArrayList<>();

    private String feed(String chunk) {
        return framer.feed(Buffer.buffer(chunk), (bytes, start, end) -> events.add(bytes.getString(start, end)))
                .toString();
    }

    @Test
    void aChunkOfWholeEventsPassesAsItIs() {
        Buffer chunk = Buffer.buffer("data: one\n\ndata: two\n\n");

        assertThat(framer.feed(chunk, null)).isSameAs(chunk);
        assertThat(framer.events()).isEqualTo(2);
    }

    @Test
    void anIncompleteEventIsHeldUntilItsBlankLine() {
        assertThat(feed("data: one\n\ndata: {\"par")).isEqualTo("data: one\n\n");
        assertThat(feed("tial\":1}\n")).isEmpty();
        assertThat(feed("\ndata: three\n\n")).isEqualTo("data: {\"partial\":1}\n\ndata: three\n\n");
        assertThat(events).containsExactly("data: one\n\n", "data: {\"partial\":1}\n\n", "data: three\n\n");
    }

    @Test
    void crlfAndCrLineEndsFrameEventsToo() {
        assertThat(feed("event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r"))
                .isEqualTo("event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r");
        assertThat(framer.events()).isEqualTo(2);
        assertThat(feed("data: 3\r\n")).isEmpty();
        assertThat(feed("\r\n")).isEqualTo("data: 3\r\n\r\n");
    }

    @Test
    void aBlankLineSplitAcrossChunksStillEndsTheEvent() {
        assertThat(feed("data: x\r")).isEmpty();
        assertThat(feed("\n\r\n")).isEqualTo("data: x\r\n\r\n");
        assertThat(feed("data: y\n\n")).isEqualTo("data: y\n\n");
    }

    @Test
    void anEventLargerThanTheBoundIsPassedOnInPieces() {
        String big = "data: " + "x".repeat(EventFramer.MAX_PARTIAL + 1);

        assertThat(feed(big)).isEqualTo(big);
        assertThat(framer.passedPartOfAnEvent()).isTrue();
        assertThat(feed("y\n\ndata: z\n\n")).isEqualTo("y\n\ndata: z\n\n");
        assertThat(framer.passedPartOfAnEvent()).isFalse();
        assertThat(events).containsExactly("data: z\n\n");
    }

    @Test
    void droppingThePartialLosesOnlyTheIncompleteEvent() {
        feed("data: one\n\ndata: cut");
        framer.dropPartial();

        assertThat(feed("data: next\n\n")).isEqualTo("data: next\n\n");
    }

    @Test
    void fieldsJoinDataLinesAndSkipComments() {
        Buffer event = Buffer.buffer(": keep-alive\nevent: error\ndata: {\"a\":\ndata: 1}\n\n");

        EventFramer.Fields fields = EventFramer.Fields.of(event, 0, event.length());

        assertThat(fields.event()).isEqualTo("error");
        assertThat(fields.data()).isEqualTo("{\"a\":\n1}");
        assertThat(EventFramer.Fields.of(Buffer.buffer(": only a comment\n\n"), 0, 18)
                        .data())
                .isNull();
    }
}
