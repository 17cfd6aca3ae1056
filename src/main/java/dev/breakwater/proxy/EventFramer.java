package dev.breakwater.proxy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Cuts a server-sent event stream at event boundaries (a blank line, with {@code \n}, {@code \r\n} or {@code \r}
 * line ends), so that only whole events are passed on: the bytes of an event not yet complete are kept back until
 * its blank line arrives. A stream broken in the middle of an event then loses that event, instead of relaying a
 * fragment the client would complete (with the error event that follows) into broken JSON.
 *
 * <p>A chunk that ends on a boundary, the usual case, is passed on as it is, without a copy. One event larger
 * than {@link #MAX_PARTIAL} is passed on in pieces rather than held whole.
 */
final class EventFramer {
    /** The most bytes of one incomplete event kept back; beyond, they are passed on as they come. */
    static final int MAX_PARTIAL = 1024 * 1024;

    /** Receives each complete event, as a range of the buffer {@link #feed} is scanning. */
    interface EventSink {
        void onEvent(Buffer bytes, int start, int end);
    }

    /** Bytes of the event in progress, not passed on yet; null when the stream sits at a boundary. */
    private Buffer partial;
    /** Bytes since the last line end, and whether that line end was a {@code \r} (a {@code \n} may follow). */
    private int lineLength;

    private boolean afterCr;
    /** True while an event larger than {@link #MAX_PARTIAL} is being passed on in pieces. */
    private boolean oversized;

    private long events;

    /**
     * Takes the next chunk and returns the bytes to pass on now: every complete event, and nothing of the one in
     * progress. {@code sink} (or null) hears of each complete event.
     */
    Buffer feed(Buffer chunk, EventSink sink) {
        Buffer data;
        int from;
        if (partial == null) {
            data = chunk;
            from = 0;
        } else {
            from = partial.length();
            data = partial.appendBuffer(chunk);
            partial = null;
        }
        int eventStart = 0;
        int lastBoundary = 0;
        int length = data.length();
        for (int i = from; i < length; i++) {
            byte b = data.getByte(i);
            if (b == '\n' && afterCr) {
                // The \n of a \r\n: the line already ended at the \r.
                afterCr = false;
                continue;
            }
            if (b == '\n' || b == '\r') {
                afterCr = b == '\r';
                if (lineLength == 0) {
                    if (afterCr && i + 1 < length && data.getByte(i + 1) == '\n') {
                        // Keep a blank line's \r\n together.
                        i++;
                        afterCr = false;
                    }
                    events++;
                    if (sink != null && !oversized) {
                        sink.onEvent(data, eventStart, i + 1);
                    }
                    oversized = false;
                    lastBoundary = i + 1;
                    eventStart = lastBoundary;
                }
                lineLength = 0;
            } else {
                afterCr = false;
                lineLength++;
            }
        }
        if (lastBoundary == length) {
            return data;
        }
        if (length - lastBoundary > MAX_PARTIAL) {
            oversized = true;
            return data;
        }
        partial = Buffer.buffer(length - lastBoundary + 256).appendBuffer(data, lastBoundary, length - lastBoundary);
        return lastBoundary == 0 ? Buffer.buffer() : data.slice(0, lastBoundary);
    }

    /** True when part of an event was passed on (one larger than {@link #MAX_PARTIAL}) and its rest is awaited. */
    boolean passedPartOfAnEvent() {
        return oversized;
    }

    /** Drops the incomplete event held back (the stream broke before it was whole). */
    void dropPartial() {
        partial = null;
    }

    /** Complete events seen so far. */
    long events() {
        return events;
    }

    /** The {@code event:} and {@code data:} fields of one event. */
    record Fields(String event, String data) {
        /** Parses the event in {@code bytes[start, end)}: comments skipped, data lines joined with {@code \n}. */
        static Fields of(Buffer bytes, int start, int end) {
            String text = bytes.getString(start, end, StandardCharsets.UTF_8.name());
            String event = null;
            StringBuilder data = null;
            int i = 0;
            while (i < text.length()) {
                int lineEnd = i;
                while (lineEnd < text.length() && text.charAt(lineEnd) != '\n' && text.charAt(lineEnd) != '\r') {
                    lineEnd++;
                }
                String line = text.substring(i, lineEnd);
                i = lineEnd + 1;
                if (lineEnd < text.length()
                        && text.charAt(lineEnd) == '\r'
                        && i < text.length()
                        && text.charAt(i) == '\n') {
                    i++;
                }
                if (line.isEmpty() || line.charAt(0) == ':') {
                    continue;
                }
                int colon = line.indexOf(':');
                String name = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (name.equals("event")) {
                    event = value;
                } else if (name.equals("data")) {
                    data = data == null
                            ? new StringBuilder(value)
                            : data.append('\n').append(value);
                }
            }
            return new Fields(event, data == null ? null : data.toString());
        }
    }
}
