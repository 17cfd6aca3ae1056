package dev.breakwater.proxy;

import dev.breakwater.time.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.ByteProcessor;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bounds one event loop's client connections: how many may be open (in all and per client address), how long
 * one may sit idle between requests, and how long a client may take to send a request head.
 *
 * <p>At a limit the longest-idle connection (no request in flight) is closed to make room, as nginx reuses idle
 * keep-alive connections; only when every connection is busy is the new one closed at once. So thousands of idle
 * or slowloris sockets cannot lock out a real request, and the process keeps file descriptors for upstream
 * connections and the admin listener.
 *
 * <p>The head-read timeout counts from the first byte of a request head (noticed by a small Netty handler in
 * front of the HTTP decoder), or from the accept for a connection's first request: a client dripping a head one
 * byte a second is closed after {@code header-read-timeout}, although the socket is never idle. The listener
 * speaks HTTP/1.x only (see {@link ProxyVerticle}), so every connection has request heads to time.
 *
 * <p>Confined to its event loop: each proxy verticle owns one, with its share of the limits (Vert.x spreads
 * accepted connections over the loops in turn).
 */
final class ConnectionGuard {
    private static final AttributeKey<TrackedConnection> KEY = AttributeKey.valueOf("breakwater.connection");
    /** {@link TrackedConnection#headStartNanos} while the last request's body still arrives after its answer. */
    static final long BODY_DRAINING = -1;

    private final Ticker ticker;
    private final int maxConnections;
    private final int maxPerClient;
    private final long idleNanos;
    private final long headerReadNanos;
    /** Idle connections, longest-idle first. */
    private final LinkedHashMap<TrackedConnection, Boolean> idle = new LinkedHashMap<>();

    private final Map<String, Integer> perClient = new HashMap<>();
    private int open;

    ConnectionGuard(
            Ticker ticker, int maxConnections, int maxPerClient, Duration idleTimeout, Duration headerReadTimeout) {
        this.ticker = ticker;
        this.maxConnections = Math.max(1, maxConnections);
        this.maxPerClient = Math.max(1, maxPerClient);
        this.idleNanos = idleTimeout.toNanos();
        this.headerReadNanos = headerReadTimeout.toNanos();
    }

    /** How often {@link #sweep()} should run to keep the timeouts within about a quarter of their length. */
    long sweepIntervalMillis() {
        long shortest = Math.min(idleNanos, headerReadNanos) / 1_000_000;
        return Math.max(50, Math.min(1_000, shortest / 4));
    }

    /** A new client connection: track it, or close it (or an idle one) when a limit is reached. */
    void accept(HttpConnection connection) {
        String client = connection.remoteAddress() == null
                ? "-"
                : connection.remoteAddress().hostAddress();
        if (open >= maxConnections && !evictIdle(null)) {
            connection.close();
            return;
        }
        int fromClient = perClient.getOrDefault(client, 0);
        if (fromClient >= maxPerClient && !evictIdle(client)) {
            connection.close();
            return;
        }
        TrackedConnection tracked = new TrackedConnection(connection, client, ticker.nanoTime());
        open++;
        perClient.merge(client, 1, Integer::sum);
        idle.put(tracked, Boolean.TRUE);
        Channel channel = NettyChannels.of(connection);
        if (channel != null) {
            channel.attr(KEY).set(tracked);
            channel.pipeline().addFirst("breakwater-head-start", new HeadStart(tracked, ticker));
        }
        connection.closeHandler(v -> forget(tracked));
    }

    /** A request arrived on its connection; the returned state (null if untracked) must be given to {@link #requestEnded}. */
    TrackedConnection requestStarted(HttpServerRequest request) {
        Channel channel = NettyChannels.of(request.connection());
        TrackedConnection tracked = channel == null ? null : channel.attr(KEY).get();
        if (tracked == null || tracked.closed) {
            return tracked;
        }
        // Vert.x starts a pipelined request while the previous response is still ending, so one already in flight
        // means this request was pipelined.
        boolean pipelined = tracked.inFlight > 0;
        tracked.pipelinedBehindChunked = pipelined && tracked.lastChunked;
        tracked.lastChunked = "chunked".equalsIgnoreCase(request.getHeader("transfer-encoding"));
        if (tracked.inFlight++ == 0) {
            idle.remove(tracked);
        }
        tracked.fresh = false;
        tracked.headStartNanos = 0;
        return tracked;
    }

    /**
     * A response ended; with no request left in flight the connection's idle time starts. When the request's own
     * body is still arriving (the answer came first), its bytes are not the next head: the head clock waits.
     */
    void requestEnded(TrackedConnection tracked, HttpServerRequest request) {
        if (tracked == null || tracked.closed || tracked.inFlight == 0) {
            return;
        }
        if (--tracked.inFlight == 0) {
            tracked.idleSinceNanos = ticker.nanoTime();
            tracked.headStartNanos = request.isEnded() ? 0 : BODY_DRAINING;
            idle.put(tracked, Boolean.TRUE);
        }
    }

    /** Closes every idle connection past its idle or head-read deadline. */
    void sweep() {
        long now = ticker.nanoTime();
        Iterator<TrackedConnection> it = idle.keySet().iterator();
        while (it.hasNext()) {
            TrackedConnection tracked = it.next();
            if (now - deadlineStart(tracked) > limitFor(tracked)) {
                it.remove();
                close(tracked);
            }
        }
    }

    private long deadlineStart(TrackedConnection tracked) {
        return tracked.headStartNanos > 0 ? tracked.headStartNanos : tracked.idleSinceNanos;
    }

    private long limitFor(TrackedConnection tracked) {
        if (tracked.headStartNanos == BODY_DRAINING) {
            return idleNanos;
        }
        return tracked.headStartNanos > 0 || tracked.fresh ? headerReadNanos : idleNanos;
    }

    /** Closes the longest-idle connection (of {@code client}, when given); false when none is idle. */
    private boolean evictIdle(String client) {
        Iterator<TrackedConnection> it = idle.keySet().iterator();
        while (it.hasNext()) {
            TrackedConnection tracked = it.next();
            if (client == null || client.equals(tracked.clientAddress)) {
                it.remove();
                close(tracked);
                return true;
            }
        }
        return false;
    }

    private void close(TrackedConnection tracked) {
        forget(tracked);
        tracked.connection.close();
    }

    private void forget(TrackedConnection tracked) {
        if (tracked.closed) {
            return;
        }
        tracked.closed = true;
        idle.remove(tracked);
        open--;
        perClient.computeIfPresent(tracked.clientAddress, (k, n) -> n <= 1 ? null : n - 1);
    }

    /**
     * Notes when the first byte of a request head arrives on an idle HTTP/1 connection, and scans that head for
     * obs-fold (a header line starting with a space or tab, RFC 9112 §5.2), which Netty would silently join to the
     * previous header: a proxy must reject it. Heads pipelined behind a busy request are not scanned.
     */
    private static final class HeadStart extends ChannelInboundHandlerAdapter implements ByteProcessor {
        private final TrackedConnection tracked;
        private final Ticker ticker;
        private boolean scanning;
        private boolean afterLineFeed;

        HeadStart(TrackedConnection tracked, Ticker ticker) {
            this.tracked = tracked;
            this.ticker = ticker;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (tracked.inFlight == 0 && tracked.headStartNanos == 0) {
                tracked.headStartNanos = ticker.nanoTime();
                tracked.obsFold = false;
                scanning = true;
                afterLineFeed = false;
            }
            if (scanning && msg instanceof ByteBuf buf) {
                buf.forEachByte(this);
            }
            ctx.fireChannelRead(msg);
        }

        /** A read after the client's RST (ENOTCONN) is the reset itself: close quietly instead of a WARN. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof java.nio.channels.NotYetConnectedException) {
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }

        /** One byte of the head; false stops the scan (end of head, or obs-fold found). */
        @Override
        public boolean process(byte b) {
            if (afterLineFeed) {
                if (b == ' ' || b == '\t') {
                    tracked.obsFold = true;
                    scanning = false;
                    return false;
                }
                if (b == '\r' || b == '\n') {
                    scanning = false; // the blank line: the head is complete
                    return false;
                }
            }
            afterLineFeed = b == '\n';
            return true;
        }
    }
}
