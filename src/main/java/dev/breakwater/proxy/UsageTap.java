package dev.breakwater.proxy;

import dev.breakwater.config.Provider;
import dev.breakwater.resilience.TokenUsage;
import dev.breakwater.resilience.UsageScanner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import java.nio.charset.StandardCharsets;

/**
 * Reads, as a response is relayed, what the upstream reports of the tokens it used and the model that answered
 * (see {@link UsageScanner}), for {@link Exchange#usage()} and {@link Exchange#responseModel()}.
 *
 * <p>Only a 2xx response of an {@code openai}, {@code azure-openai} or {@code anthropic} upstream is read; for any
 * other response there is no tap at all. A stream is read event by event as {@link ResponseRelay} passes whole
 * events on, over the relay's own bytes (nothing is copied unless an event holds a usage report). A JSON body keeps
 * only its first {@value #HEAD} bytes (where {@code model} is) and its last {@value #TAIL} bytes (where
 * {@code usage} is), read once the body has ended. A body that arrives as one chunk (the common case) is read in
 * place, with nothing copied; only a body of several chunks is copied, into two fixed arrays, chunk by chunk.
 */
final class UsageTap {
    static final int HEAD = 2048;
    static final int TAIL = 8192;

    private final UsageScanner scanner = new UsageScanner();
    private final boolean eventStream;
    private final ResponseRelay.EventChars chars;
    /** The body's first chunk, held by reference while it is the only one (Vert.x buffers are never recycled). */
    private Buffer only;

    private byte[] head;
    private int headLength;
    private byte[] tail;
    /** Bytes written to {@link #tail} in all: the next one goes at {@code tailWritten % TAIL}. */
    private long tailWritten;

    private boolean scannedBody;

    private UsageTap(boolean eventStream) {
        this.eventStream = eventStream;
        this.chars = eventStream ? new ResponseRelay.EventChars() : null;
    }

    /** A tap for {@code upstream}'s response, or null when it cannot carry a usage report worth reading. */
    static UsageTap forResponse(Exchange exchange, HttpClientResponse upstream, boolean eventStream) {
        int status = upstream.statusCode();
        if (status < 200 || status >= 300 || exchange.admission().upstream() == null) {
            return null;
        }
        Provider provider = exchange.admission().upstream().target().provider();
        if (provider != Provider.OPENAI && provider != Provider.AZURE_OPENAI && provider != Provider.ANTHROPIC) {
            return null;
        }
        // A compressed body says nothing readable.
        return upstream.getHeader("content-encoding") == null ? new UsageTap(eventStream) : null;
    }

    /** One whole event of a stream, {@code bytes[start, end)}. */
    void event(Buffer bytes, int start, int end) {
        scanner.scan(chars.over(bytes, start, end));
    }

    /** Whole events held before commit (they are relayed without passing {@link #event} one by one). */
    void events(Buffer bytes) {
        new EventFramer().feed(bytes, this::event);
    }

    /** A chunk of a JSON body. */
    void chunk(Buffer chunk) {
        if (eventStream) {
            return;
        }
        if (head == null) { // nothing copied yet: this is the first chunk, or the second
            if (only == null) {
                only = chunk;
                return;
            }
            Buffer first = only;
            only = null;
            copy(first);
        }
        copy(chunk);
    }

    private void copy(Buffer chunk) {
        int length = chunk.length();
        int from = 0;
        if (headLength < HEAD) {
            if (head == null) {
                head = new byte[HEAD];
            }
            int n = Math.min(HEAD - headLength, length);
            chunk.getBytes(0, n, head, headLength);
            headLength += n;
            from = n;
        }
        if (from == length) {
            return;
        }
        if (tail == null) {
            tail = new byte[TAIL];
        }
        // Only the last TAIL bytes of the chunk can end up in the tail.
        from = Math.max(from, length - TAIL);
        while (from < length) {
            int at = (int) (tailWritten % TAIL);
            int n = Math.min(TAIL - at, length - from);
            chunk.getBytes(from, from + n, tail, at);
            from += n;
            tailWritten += n;
        }
    }

    /** The usage reported so far (for a JSON body, once it has ended), or null. */
    TokenUsage usage() {
        scanBody();
        return scanner.usage();
    }

    /** The model the response named, or null. */
    String model() {
        scanBody();
        return scanner.model();
    }

    /** Reads a JSON body's head and tail, once: only a body that ended is complete, so this runs at its end. */
    private void scanBody() {
        if (eventStream || scannedBody) {
            return;
        }
        if (only != null) {
            scannedBody = true;
            scanInPlace(only);
            return;
        }
        if (head == null) {
            return;
        }
        scannedBody = true;
        String first = new String(head, 0, headLength, StandardCharsets.ISO_8859_1);
        if (tail == null) {
            scanner.scan(first);
            return;
        }
        int kept = (int) Math.min(tailWritten, TAIL);
        int start = (int) ((tailWritten - kept) % TAIL);
        byte[] last = new byte[kept];
        int firstPart = Math.min(kept, TAIL - start);
        System.arraycopy(tail, start, last, 0, firstPart);
        System.arraycopy(tail, 0, last, firstPart, kept - firstPart);
        String end = new String(last, StandardCharsets.ISO_8859_1);
        // A body that fits both is whole; else the head names the model and the tail holds the usage.
        scanner.scan(tailWritten <= TAIL ? first + end : end);
        scanner.scan(first);
    }

    /** The same reading as {@link #scanBody} gives a copied body, over a one-chunk body's own bytes. */
    private void scanInPlace(Buffer body) {
        int length = body.length();
        if (length <= HEAD + TAIL) {
            scanner.scan(new ResponseRelay.EventChars().over(body, 0, length));
            return;
        }
        scanner.scan(new ResponseRelay.EventChars().over(body, length - TAIL, length));
        scanner.scan(new ResponseRelay.EventChars().over(body, 0, HEAD));
    }
}
