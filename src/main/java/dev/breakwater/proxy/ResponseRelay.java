package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.Set;

/**
 * Commits an upstream response to the client and streams its body chunk by chunk with backpressure: nothing is
 * collected whole, and each server-sent event goes out as soon as it arrives.
 *
 * <p>After commit nothing is retried. If the upstream stalls past the {@code idle} timeout or breaks mid-body, an
 * event stream ends with a final error event, and any other body is cut by resetting the client connection, so
 * the truncation is visible: a broken response never ends as if it were complete.
 */
final class ResponseRelay {
    private static final Set<String> NONE = Set.of();

    private final Exchange exchange;
    private final HttpClientResponse upstream;
    private final HttpServerResponse client;
    private final boolean eventStream;
    private final BodyPeek.Peeked peeked;
    private final long idleNanos;
    private Cancellable idleTimer = Cancellable.NONE;
    private long lastActivityNanos;
    /** Newlines at the end of what was relayed so far; 2 or more means the stream sits between events. */
    private int trailingNewlines = 2;

    /**
     * @param peeked the body prefix already read to classify an error, or null
     */
    ResponseRelay(Exchange exchange, HttpClientResponse upstream, BodyPeek.Peeked peeked) {
        this.exchange = exchange;
        this.peeked = peeked;
        this.upstream = upstream;
        this.client = exchange.response();
        String contentType = upstream.getHeader("content-type");
        this.eventStream = contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
        this.idleNanos = exchange.route().spec().timeouts().idle().toNanos();
    }

    void start() {
        client.setStatusCode(upstream.statusCode());
        if (upstream.statusMessage() != null) {
            client.setStatusMessage(upstream.statusMessage());
        }
        HopByHopHeaders.copy(upstream.headers(), client.headers(), NONE);
        String upstreamId = upstream.getHeader("x-request-id");
        if (upstreamId != null && !upstreamId.equals(exchange.requestId())) {
            // Keep the upstream's own id (OpenAI's req_..., what its support asks for) next to ours.
            client.headers().set("x-upstream-request-id", upstreamId);
        }
        exchange.responseHeadSent(upstream.statusCode());
        if (!client.headers().contains("content-length") && exchange.request().version() != HttpVersion.HTTP_1_0) {
            client.setChunked(true);
        }
        lastActivityNanos = exchange.runtime().ticker().nanoTime();
        if (peeked != null && relayPeeked()) {
            return;
        }
        upstream.handler(this::onChunk);
        upstream.endHandler(v -> onEnd());
        upstream.exceptionHandler(this::onUpstreamBroken);
        scheduleIdleCheck(idleNanos);
        upstream.resume();
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
        abort(ProxyError.interrupted("The upstream broke off the response: " + cause.getMessage()));
    }

    /** Stops relaying because of {@code error}: an error event for a stream, a reset otherwise. */
    void abort(ProxyError error) {
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
        if (eventStream && !client.closed()) {
            Buffer event =
                    ErrorResponses.sseEvent(exchange.errorShape(), error.status(), error.code(), error.message());
            // Close a half-sent event first so the error event is parsed on its own.
            client.end(trailingNewlines >= 2 ? event : Buffer.buffer("\n\n").appendBuffer(event));
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
        if (eventStream) {
            trackTrailingNewlines(chunk);
        }
        client.write(chunk);
        if (client.writeQueueFull()) {
            upstream.pause();
            client.drainHandler(v -> {
                lastActivityNanos = exchange.runtime().ticker().nanoTime();
                upstream.resume();
            });
        }
    }

    private void trackTrailingNewlines(Buffer chunk) {
        int newlines = 0;
        for (int i = chunk.length() - 1; i >= 0; i--) {
            byte b = chunk.getByte(i);
            if (b == '\n') {
                newlines++;
            } else if (b != '\r') {
                trailingNewlines = newlines;
                return;
            }
        }
        trailingNewlines += newlines;
    }

    private void onEnd() {
        idleTimer.cancel();
        if (exchange.isDone()) {
            return;
        }
        // Finish first: on HTTP/2 ending the stream fires the close handler (see abort).
        exchange.finishRelayed(upstream.statusCode());
        client.end();
    }

    private void scheduleIdleCheck(long delayNanos) {
        if (idleNanos <= 0) {
            return;
        }
        long delayMillis = Math.max(1, (delayNanos + 999_999) / 1_000_000);
        idleTimer = exchange.runtime().scheduler().schedule(delayMillis, this::checkIdle);
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
        abort(ProxyError.interrupted("The upstream sent nothing for "
                + exchange.route().spec().timeouts().idle().toMillis() + " ms while streaming the response"));
    }
}
