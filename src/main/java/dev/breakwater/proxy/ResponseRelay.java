package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.resilience.StreamDialect;
import dev.breakwater.resilience.StreamEvents;
import dev.breakwater.resilience.TokenUsage;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.io.IOException;

/**
 * Commits an upstream response to the client and streams its body chunk by chunk with backpressure: nothing is
 * collected whole, and each server-sent event goes out as soon as it is complete.
 *
 * <p>After commit nothing is retried. An event stream is relayed in whole events only ({@link EventFramer}); if
 * the upstream stalls past {@code stream.idle-timeout} or breaks off, the incomplete event is dropped and the
 * stream ends with an error event in its dialect, which the client's SDK raises. Any other body is cut by
 * resetting the client connection, so the truncation is visible: a broken response never ends as if it were
 * complete. Error events the upstream sends itself are relayed unchanged and counted for the breaker and metrics.
 */
final class ResponseRelay {
    private final Exchange exchange;
    private final HttpClientResponse upstream;
    private final HttpServerResponse client;
    private final BodyPeek.Peeked peeked;
    private final FirstEventWait.Held held;
    /** Cuts an event stream at event boundaries; null for any other body. */
    private final EventFramer framer;

    private final StreamDialect dialect;
    private final long idleNanos;
    private Cancellable idleTimer = Cancellable.NONE;
    private long lastActivityNanos;
    private boolean firstEventSent;
    /** True once the upstream reported an error inside the stream. */
    private boolean upstreamFailed;

    private final EventChars eventStart = new EventChars();
    /** Reads a relayed MCP {@code tools/list} answer for the tools' annotations; null for any other response. */
    private final McpToolsTap toolsTap;
    /** Reads the token usage and model an LLM API's 2xx response reports; null for any other response. */
    private final UsageTap usageTap;

    /**
     * @param peeked the body prefix already read to classify an error, or null
     * @param held the events of a stream held until its first content event, or null
     */
    ResponseRelay(Exchange exchange, HttpClientResponse upstream, BodyPeek.Peeked peeked, FirstEventWait.Held held) {
        this.exchange = exchange;
        this.peeked = peeked;
        this.held = held;
        this.upstream = upstream;
        this.client = exchange.response();
        boolean eventStream = held != null || isEventStream(upstream);
        this.framer = held != null ? held.framer() : eventStream ? new EventFramer() : null;
        this.dialect = eventStream ? exchange.streamDialect() : null;
        this.upstreamFailed = held != null && held.reported() != null;
        this.idleNanos = (eventStream
                        ? exchange.route().spec().stream()
                                .idleTimeout(exchange.route().spec().timeouts())
                        : exchange.route().spec().timeouts().idle())
                .toNanos();
        this.toolsTap = McpToolsTap.forResponse(exchange, upstream, eventStream);
        this.usageTap = UsageTap.forResponse(exchange, upstream, eventStream);
    }

    /** The tokens the response reported, or null (see {@link Exchange#usage()}). */
    TokenUsage usage() {
        return usageTap == null ? null : usageTap.usage();
    }

    /** The model the response named, or null. */
    String responseModel() {
        return usageTap == null ? null : usageTap.model();
    }

    /** True for a {@code text/event-stream} response. */
    static boolean isEventStream(HttpClientResponse response) {
        String contentType = response.getHeader("content-type");
        return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    void start() {
        client.setStatusCode(upstream.statusCode());
        if (upstream.statusMessage() != null) {
            client.setStatusMessage(upstream.statusMessage());
        }
        // The upstream's own x-request-id, when it sent one, reaches the client unchanged: it is OpenAI's req_...
        // id, the one its SDKs show as _request_id and its support asks for. Breakwater's id is beside it.
        HopByHopHeaders.copy(upstream.headers(), client.headers(), HeaderNames.NONE);
        exchange.responseHeadSent(upstream.statusCode());
        if (!client.headers().contains("content-length") && exchange.request().version() != HttpVersion.HTTP_1_0) {
            client.setChunked(true);
        }
        if (held == null && framer != null && RetryLoop.isMcpServerStream(exchange)) {
            // An MCP server's own stream may stay silent for long: its client learns at once that it is open.
            client.writeHead();
        }
        lastActivityNanos = exchange.runtime().ticker().nanoTime();
        if (held != null && relayHeld()) {
            return;
        }
        if (peeked != null && relayPeeked()) {
            return;
        }
        upstream.handler(this::onChunk);
        upstream.endHandler(v -> onEnd());
        upstream.exceptionHandler(this::onUpstreamBroken);
        scheduleIdleCheck(idleNanos);
        upstream.resume();
    }

    /** Sends the events held before commit; true when that already finished the response. */
    private boolean relayHeld() {
        if (held.bytes().length() > 0) {
            if (usageTap != null) {
                usageTap.events(held.bytes());
            }
            write(held.bytes());
        }
        if (held.ended()) {
            onEnd();
            return true;
        }
        return false;
    }

    /** Sends the peeked prefix; true when that already finished the response (ended or broken). */
    private boolean relayPeeked() {
        if (peeked.prefix().length() > 0) {
            onChunk(peeked.prefix());
        }
        if (peeked.ended()) {
            onEnd();
            return true;
        }
        if (peeked.failure() != null) {
            onUpstreamBroken(peeked.failure());
            return true;
        }
        return false;
    }

    /** The upstream broke mid-body: a failure for the breaker too, since the headers were recorded as fine. */
    private void onUpstreamBroken(Throwable cause) {
        if (exchange.isDone()) {
            return;
        }
        exchange.admission().onStreamBroken(cause);
        abort(ProxyError.interrupted("The upstream broke off the response: " + cause.getMessage()), "upstream_cut");
    }

    /**
     * Stops relaying because of {@code error}: an error event for a stream, a reset otherwise.
     *
     * @param cause why, for the metric of broken streams: {@code upstream_cut}, {@code idle_timeout}, {@code deadline}
     */
    void abort(ProxyError error, String cause) {
        if (exchange.isDone()) {
            return;
        }
        idleTimer.cancel();
        cancelUpstream();
        if (!client.headWritten() && !client.closed()) {
            // Nothing reached the client yet: it can still get an honest error instead of an empty reply.
            exchange.respondBeforeHead(error);
            return;
        }
        // Finish before ending: on HTTP/2 ending the stream fires the close handler, which must not count as
        // the client leaving.
        exchange.finish(upstream.statusCode(), AccessLog.Outcome.INTERRUPTED, error.code());
        if (framer != null) {
            exchange.route().metrics().streams().brokenAfterCommit(exchange.upstreamName(), cause);
            exchange.route().metrics().streams().ended(framer.events());
        }
        if (framer != null && !client.closed()) {
            boolean midEvent = framer.passedPartOfAnEvent();
            framer.dropPartial();
            Buffer event = ErrorResponses.sseEvent(
                    dialect, exchange.jsonRpcId(), error.status(), error.code(), error.message(), framer.events());
            // Only an event larger than the framer holds was passed on in part: close it first, so the error
            // event is parsed on its own.
            client.end(midEvent ? Buffer.buffer("\n\n").appendBuffer(event) : event);
        } else {
            if (closeDelimited()) {
                // An HTTP/1.0 client reads to EOF: a plain close would make the cut body look complete, a TCP
                // reset does not.
                NettyChannels.resetOnClose(exchange.request().connection());
            }
            client.reset();
        }
    }

    /** True when the client learns the body's end only from the connection closing (HTTP/1.0, no length). */
    private boolean closeDelimited() {
        return exchange.request().version() == HttpVersion.HTTP_1_0
                && !client.headers().contains("content-length");
    }

    /** Resets the upstream request, so the upstream stops producing (and billing). */
    void cancelUpstream() {
        idleTimer.cancel();
        upstream.handler(null);
        upstream.exceptionHandler(null);
        upstream.endHandler(null);
        upstream.request().reset();
    }

    private void onChunk(Buffer chunk) {
        lastActivityNanos = exchange.runtime().ticker().nanoTime();
        if (framer == null && usageTap != null) {
            usageTap.chunk(chunk);
        }
        Buffer out = framer == null ? chunk : framer.feed(chunk, this::onEvent);
        if (out.length() > 0) {
            write(out);
        }
    }

    private void write(Buffer bytes) {
        if (framer != null && !firstEventSent && framer.events() > 0) {
            firstEventSent = true;
            exchange.route().metrics().streams().committed(exchange.elapsedNanos());
        }
        if (toolsTap != null) {
            // Before the write: the client may call a tool it just saw listed, on another connection and loop.
            toolsTap.feed(bytes);
        }
        IdempotentRequests.Capture capture = exchange.capture();
        if (capture != null) {
            capture.add(bytes);
        }
        if (client.closed()) {
            // Detached: the client left, and the response is only read to be stored for its retry
            // (Exchange.onClientGone); once it cannot be kept, reading on only costs the upstream's work.
            if (capture == null || capture.tooLarge()) {
                abort(ProxyError.interrupted("The client left and the response is too large to keep"), "client_gone");
            }
            return;
        }
        client.write(bytes);
        if (client.writeQueueFull()) {
            upstream.pause();
            client.drainHandler(v -> {
                lastActivityNanos = exchange.runtime().ticker().nanoTime();
                upstream.resume();
            });
        }
    }

    /** Each complete event of a committed stream: only one that may report an error is read further. */
    private void onEvent(Buffer bytes, int start, int end) {
        if (usageTap != null) {
            usageTap.event(bytes, start, end);
        }
        if (upstreamFailed || !StreamEvents.mayReportError(eventStart.over(bytes, start, end))) {
            return;
        }
        EventFramer.Fields fields = EventFramer.Fields.of(bytes, start, end);
        if (StreamEvents.classify(dialect, fields.event(), fields.data()) instanceof StreamEvents.Failure failure) {
            upstreamFailed = true;
            exchange.route().metrics().streams().brokenAfterCommit(exchange.upstreamName(), "upstream_error_event");
            if (failure.status() >= 500) {
                exchange.admission()
                        .onStreamBroken(new IOException("the upstream reported " + failure.label() + " in the stream"));
            }
        }
    }

    private void onEnd() {
        idleTimer.cancel();
        if (exchange.isDone()) {
            return;
        }
        if (framer != null) {
            // An event the upstream left incomplete at its end is dropped, as a client would drop it.
            framer.dropPartial();
            exchange.route().metrics().streams().ended(framer.events());
        }
        if (toolsTap != null) {
            toolsTap.end();
        }
        // Finish first: on HTTP/2 ending the stream fires the close handler (see abort).
        exchange.finishRelayed(upstream.statusCode(), upstreamFailed);
        if (!client.closed()) {
            client.end();
        }
    }

    private void scheduleIdleCheck(long delayNanos) {
        if (idleNanos <= 0) {
            return;
        }
        long delayMillis = Math.max(1, (delayNanos + 999_999) / 1_000_000);
        idleTimer = exchange.timers().schedule(delayMillis, this::checkIdle);
    }

    private void checkIdle() {
        if (exchange.isDone()) {
            return;
        }
        long silent = exchange.runtime().ticker().nanoTime() - lastActivityNanos;
        // A client that is not reading keeps the upstream paused: that silence is the client's, not the upstream's.
        if (silent < idleNanos || client.writeQueueFull()) {
            scheduleIdleCheck(client.writeQueueFull() ? idleNanos : idleNanos - silent);
            return;
        }
        exchange.admission().onStreamBroken(new java.util.concurrent.TimeoutException("idle"));
        abort(
                ProxyError.interrupted("The upstream sent nothing for " + idleNanos / 1_000_000 + " ms while "
                        + (framer != null ? "streaming events (stream.idle-timeout)" : "sending the response body")),
                "idle_timeout");
    }

    /** The first bytes of one event as characters (ASCII is all they are compared with), without copying. */
    static final class EventChars implements CharSequence {
        private Buffer bytes;
        private int start;
        private int end;

        EventChars over(Buffer bytes, int start, int end) {
            this.bytes = bytes;
            this.start = start;
            this.end = end;
            return this;
        }

        @Override
        public int length() {
            return end - start;
        }

        @Override
        public char charAt(int index) {
            return (char) (bytes.getByte(start + index) & 0xff);
        }

        @Override
        public CharSequence subSequence(int from, int to) {
            return new EventChars().over(bytes, start + from, start + to);
        }

        @Override
        public String toString() {
            return bytes.getString(start, end);
        }
    }
}
