package dev.breakwater.proxy;

import dev.breakwater.observability.AccessLog;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.RealtimeEvents;
import dev.breakwater.time.Scheduler.Cancellable;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketFrame;
import java.nio.charset.StandardCharsets;

/**
 * An open WebSocket session: frames go both ways as they come (text, binary and continuation frames, each with
 * its FIN bit, so a message of any size is never held whole), with backpressure: a side whose peer cannot take
 * more is paused until the peer drains. Each side answers pings itself. A close frame from one side closes the
 * other with the same code and reason; a connection that breaks without one closes the other with 1001 (the
 * client went) or 1011 (the upstream broke). The route's {@code idle} timeout (no frame either way) and
 * {@code total} timeout close both sides with 1001.
 *
 * <p>Server-to-client text frames that announce an OpenAI Realtime {@code rate_limits.updated} event near their
 * start are read (never changed) and the budget they report goes to the request's admission.
 *
 * <p>Confined to the request's event loop. The exchange finishes, with its access-log line, when the first side
 * closes or a timeout ends the session.
 */
final class WebSocketRelay {
    static final short GOING_AWAY = 1001;
    static final short INTERNAL_ERROR = 1011;
    static final String CLIENT_GONE_REASON = "Breakwater: the client went away";
    static final String TOTAL_TIMEOUT_REASON = "Breakwater: the route's total timeout passed";
    /** Close codes that only report a state and must never be sent (RFC 6455 section 7.4.1). */
    private static final short NO_STATUS = 1005;

    private static final short ABNORMAL = 1006;
    private static final short TLS_FAILURE = 1015;
    /** How far into a text frame the Realtime event type is looked for. */
    private static final int PEEK_BYTES = 128;

    private static final byte[] RATE_LIMITS_MARKER =
            ('"' + RealtimeEvents.RATE_LIMITS_UPDATED + '"').getBytes(StandardCharsets.US_ASCII);

    private final Exchange exchange;
    private final ServerWebSocket client;
    private final WebSocket upstream;
    private final long idleNanos;
    private long lastFrameNanos;
    private Cancellable idleTimer = Cancellable.NONE;
    private boolean ended;

    WebSocketRelay(Exchange exchange, ServerWebSocket client, WebSocket upstream) {
        this.exchange = exchange;
        this.client = client;
        this.upstream = upstream;
        this.idleNanos = exchange.route().spec().timeouts().idle().toNanos();
    }

    void start() {
        metrics().webSocketSession(exchange.upstreamName(), "opened");
        relay(client, upstream, true);
        relay(upstream, client, false);
        client.closeHandler(v -> onConnectionClosed(client, true));
        upstream.closeHandler(v -> onConnectionClosed(upstream, false));
        // A broken connection ends in its close handler; the exception itself is only noise.
        client.exceptionHandler(t -> {});
        upstream.exceptionHandler(t -> {});
        lastFrameNanos = now();
        if (idleNanos > 0) {
            scheduleIdleCheck(idleNanos);
        }
        // The upstream's socket was paused since its handshake, so no frame was lost before the handlers were set.
        upstream.resume();
    }

    private void relay(WebSocketBase from, WebSocketBase to, boolean toUpstream) {
        from.frameHandler(frame -> {
            lastFrameNanos = now();
            switch (frame.type()) {
                case TEXT, BINARY, CONTINUATION -> forward(from, to, frame, toUpstream);
                case CLOSE -> closedBy(toUpstream, frame.closeStatusCode(), frame.closeReason());
                default -> {
                    // Pings are answered by Vert.x on each side; pongs end here.
                }
            }
        });
    }

    private void forward(WebSocketBase from, WebSocketBase to, WebSocketFrame frame, boolean toUpstream) {
        if (ended) {
            return;
        }
        Buffer payload = frame.binaryData();
        if (!toUpstream && frame.isText() && frame.isFinal()) {
            readRateLimits(payload);
        }
        metrics().webSocketFrame(toUpstream, payload.length());
        to.writeFrame(frame);
        if (to.writeQueueFull()) {
            from.pause();
            to.drainHandler(v -> from.resume());
        }
    }

    /** Feeds a Realtime {@code rate_limits.updated} event's report to the admission; other frames are skipped. */
    private void readRateLimits(Buffer payload) {
        if (announces(payload)) {
            exchange.admission().onBudgetReported(RealtimeEvents.rateLimits(new BufferInputStream(payload)));
        }
    }

    /** True when the quoted event type appears within the payload's first {@value #PEEK_BYTES} bytes. */
    static boolean announces(Buffer payload) {
        int last = Math.min(payload.length(), PEEK_BYTES) - RATE_LIMITS_MARKER.length;
        for (int at = 0; at <= last; at++) {
            int i = 0;
            while (i < RATE_LIMITS_MARKER.length && payload.getByte(at + i) == RATE_LIMITS_MARKER[i]) {
                i++;
            }
            if (i == RATE_LIMITS_MARKER.length) {
                return true;
            }
        }
        return false;
    }

    /** One side sent a close frame: the other is closed with the same code and reason. */
    private void closedBy(boolean clientSide, short code, String reason) {
        if (ended) {
            return;
        }
        end(
                clientSide ? "client" : "upstream",
                AccessLog.Outcome.OK,
                "closed_by_" + (clientSide ? "client" : "upstream") + "_" + code);
        WebSocketBase other = clientSide ? upstream : client;
        if (code == NO_STATUS || code == ABNORMAL || code == TLS_FAILURE) {
            other.close();
        } else if (reason == null) {
            other.close(code);
        } else {
            other.close(code, reason);
        }
    }

    /** A side's connection closed; without a close frame first it broke, and the other side is told so. */
    private void onConnectionClosed(WebSocketBase side, boolean clientSide) {
        if (ended) {
            return;
        }
        Short code = side.closeStatusCode();
        if (code != null && code != ABNORMAL) {
            // The close frame came (it may still wait in a paused queue): pass it on.
            closedBy(clientSide, code, side.closeReason());
            return;
        }
        if (clientSide) {
            end("client_lost", AccessLog.Outcome.CLIENT_CLOSED, "client_closed");
            upstream.close(GOING_AWAY, CLIENT_GONE_REASON);
        } else {
            end("upstream_lost", AccessLog.Outcome.INTERRUPTED, "upstream_closed_without_close_frame");
            client.close(INTERNAL_ERROR, "Breakwater: the upstream connection broke");
        }
    }

    private void scheduleIdleCheck(long delayNanos) {
        long millis = Math.max(1, (delayNanos + 999_999) / 1_000_000);
        idleTimer = exchange.runtime().scheduler().schedule(millis, this::checkIdle);
    }

    /** One timer per idle period, not per frame: it looks at the last frame's time and waits out the rest. */
    private void checkIdle() {
        if (ended) {
            return;
        }
        long quiet = now() - lastFrameNanos;
        if (quiet < idleNanos) {
            scheduleIdleCheck(idleNanos - quiet);
            return;
        }
        closeBoth(
                "idle_timeout",
                "Breakwater: no frame either way within the route's idle timeout of "
                        + exchange.route().spec().timeouts().idle().toMillis() + " ms");
    }

    /** The route's total timeout passed while the session was open. */
    void onDeadline() {
        if (!ended) {
            closeBoth("total_timeout", TOTAL_TIMEOUT_REASON);
        }
    }

    private void closeBoth(String by, String reason) {
        end(by, AccessLog.Outcome.INTERRUPTED, by);
        client.close(GOING_AWAY, reason);
        upstream.close(GOING_AWAY, reason);
    }

    /** The session ends: counted, logged, and everything the request held given back. Once. */
    private void end(String by, AccessLog.Outcome outcome, String reason) {
        ended = true;
        idleTimer.cancel();
        metrics().webSocketClosed(by);
        exchange.finish(101, outcome, reason);
    }

    private long now() {
        return exchange.runtime().ticker().nanoTime();
    }

    private RouteMetrics metrics() {
        return exchange.route().metrics();
    }
}
