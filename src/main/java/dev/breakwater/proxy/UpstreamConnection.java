package dev.breakwater.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.Errors;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import java.util.concurrent.TimeUnit;

/**
 * What Breakwater knows of one pooled upstream connection, to decide whether a request that failed on it may be
 * sent again without any risk of running twice (see {@link UpstreamAttempt}): how many exchanges it carried, and
 * how many bytes of HTTP it has read. A small Netty handler in front of the HTTP codec counts the bytes (after
 * TLS, so a TLS close alert is not mistaken for a response byte).
 *
 * <p>Confined to the connection's event loop.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<UpstreamConnection> KEY = AttributeKey.valueOf("breakwater.upstream");
    /** Linux's TCP_ESTABLISHED, as {@code TCP_INFO} reports it. */
    private static final int TCP_ESTABLISHED = 1;
    /** How long an EOF met before the first response byte waits for a following RST. */
    static final long EOF_GRACE_MILLIS = 2;
    /** Linux's TCP_CLOSE: after a RST the socket is fully closed. */
    private static final int TCP_CLOSE = 7;

    private final Channel channel;
    private long bytesRead;
    private int exchanges;
    private boolean provedUnread;
    /** {@link #bytesRead} when the last request was written whole; -1 before any was. */
    private long bytesAtRequest = -1;
    /** When the last response head arrived, and how long the upstream said it keeps the connection idle. */
    private long lastResponseNanos;

    private long keepAliveNanos = -1;
    /** Reused by {@link #peerClosed}, asked before every request on the connection (one event loop owns it). */
    private EpollTcpInfo tcpInfo;

    UpstreamConnection(Channel channel) {
        this.channel = channel;
    }

    /** Attaches the tracker to a new pooled connection; called from the client's connect handler. */
    static void install(HttpConnection connection) {
        Channel channel = NettyChannels.of(connection);
        if (channel == null || channel.pipeline().get("codec") == null) {
            return;
        }
        UpstreamConnection tracker = new UpstreamConnection(channel);
        channel.attr(KEY).set(tracker);
        channel.pipeline().addBefore("codec", "breakwater-upstream-bytes", tracker);
        // The upstream's EOF arrives as an event instead of an immediate close, so that an EOF met while a request
        // waits for its first byte can wait a moment for the RST that often follows it (see userEventTriggered).
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    /** The tracker of a connection, or null when it has none (HTTP/2, or not installed). */
    static UpstreamConnection of(HttpConnection connection) {
        Channel channel = NettyChannels.of(connection);
        return channel == null ? null : channel.attr(KEY).get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytesRead += buf.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Exceptions pass here on their way to Vert.x, which reports a reset to the request only as "connection
     * closed": the reset is noted first so the resend rule can tell it from a plain close.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof NotYetConnectedException) {
            // A read after the upstream's RST left the socket unconnected (ENOTCONN): the reset itself. Nothing
            // past this handler knows it, so Netty would log it as unhandled; closing tells Vert.x what matters.
            provedUnread = true;
            ctx.close();
            return;
        }
        if (isPeerReset(cause)) {
            provedUnread = true;
        }
        ctx.fireExceptionCaught(cause);
    }

    /**
     * The upstream's EOF (half-closure is on, so Netty reports it instead of closing). If it came while a request
     * waits for its first response byte, two facts prove the upstream never read that request: our socket is
     * already in {@code TCP_CLOSE} (the upstream's kernel answered the request with RST after its FIN: it reached
     * a socket whose program had closed it), or part of the request is still unacknowledged (the FIN acknowledges
     * everything the upstream's TCP received before its program closed the socket). An upstream program that
     * closes with unread bytes often sends FIN first (a shutdown before the close, as the JDK does) and the RST a
     * moment later, so without proof yet the connection is closed only after {@link #EOF_GRACE_MILLIS} and asked
     * again. Otherwise (FIN only, request acknowledged) the upstream may have read it. Any other EOF passes on and
     * closes at once, as without half-closure. Costs system calls only on such an EOF.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof ChannelInputShutdownEvent)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        if (bytesRead == bytesAtRequest && !provedUnread && !checkUnread()) {
            ctx.executor()
                    .schedule(
                            () -> {
                                checkUnread();
                                closeAfterEof(ctx, evt);
                            },
                            EOF_GRACE_MILLIS,
                            TimeUnit.MILLISECONDS);
            return;
        }
        closeAfterEof(ctx, evt);
    }

    private static void closeAfterEof(ChannelHandlerContext ctx, Object evt) {
        ctx.fireUserEventTriggered(evt); // lets the codec end a close-delimited response
        ctx.close();
    }

    /** Sets (and returns) {@link #provedUnread} when the kernel shows the upstream cannot have read the request. */
    private boolean checkUnread() {
        if (channel instanceof EpollSocketChannel epoll && channel.isOpen()) {
            try {
                EpollTcpInfo info = epoll.tcpInfo();
                if (info.state() == TCP_CLOSE || info.unacked() > 0) {
                    provedUnread = true;
                }
            } catch (RuntimeException e) {
                // the socket is gone already: nothing more can be known
            }
        }
        return provedUnread;
    }

    /** A request was written whole: an EOF before its first response byte is examined (see userEventTriggered). */
    void requestWritten() {
        bytesAtRequest = bytesRead;
    }

    /**
     * True once the upstream showed it never read what was last written here: it reset the connection (RST), or
     * its EOF came with the request unacknowledged or followed by a RST.
     */
    boolean provedUnread() {
        return provedUnread;
    }

    /** Starts an exchange; true when the connection already carried one (it comes from the pool, reused). */
    boolean startExchange() {
        return exchanges++ > 0;
    }

    /** HTTP bytes read so far; a request compares it before and after to know whether any response byte came. */
    long bytesRead() {
        return bytesRead;
    }

    /**
     * True when the kernel already knows the upstream closed this connection (its FIN arrived) although the event
     * loop has not processed that yet: a request written now would meet a closed socket. Asked with
     * {@code TCP_INFO} on the epoll transport, one system call; elsewhere only the channel's own state is known.
     */
    boolean peerClosed() {
        if (!channel.isActive()) {
            return true;
        }
        if (channel instanceof EpollSocketChannel epoll) {
            try {
                if (tcpInfo == null) {
                    tcpInfo = new EpollTcpInfo();
                }
                return epoll.tcpInfo(tcpInfo).state() != TCP_ESTABLISHED;
            } catch (RuntimeException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * Notes a response head: when it came and the upstream's {@code Keep-Alive: timeout=N}, if it sent one.
     */
    void onResponse(long nowNanos, String keepAliveHeader) {
        lastResponseNanos = nowNanos;
        if (keepAliveHeader != null) {
            long seconds = keepAliveTimeoutSeconds(keepAliveHeader);
            if (seconds >= 0) {
                keepAliveNanos = seconds * 1_000_000_000L;
            }
        }
    }

    /**
     * True when the upstream's advertised keep-alive timeout has (almost) run out: with less than a second, or a
     * quarter of the timeout, left, the upstream may close it while our request is on the wire, so it is not used.
     * Counted from the response head, which is earlier than the upstream's own count: errs on the safe side.
     */
    boolean nearKeepAliveExpiry(long nowNanos) {
        if (keepAliveNanos < 0 || lastResponseNanos == 0) {
            return false;
        }
        long margin = Math.min(1_000_000_000L, keepAliveNanos / 4);
        return nowNanos - lastResponseNanos >= keepAliveNanos - margin;
    }

    /** The {@code timeout} of a {@code Keep-Alive} header ({@code timeout=5, max=100}), or -1. */
    static long keepAliveTimeoutSeconds(String header) {
        for (String part : header.split(",")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "timeout=", 0, 8)) {
                try {
                    return Math.max(0, Long.parseLong(p.substring(8).trim()));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** Closes the connection, so the pool drops it; {@code then} runs once it is closed. */
    void close(Runnable then) {
        channel.close().addListener(f -> then.run());
    }

    /**
     * True when {@code failure} is the upstream's TCP reset: its kernel answered with RST because the upstream
     * closed the socket while our bytes were unread in it, or after it had closed. Either way the upstream program
     * never read the request.
     */
    static boolean isPeerReset(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Errors.NativeIoException nativeError) {
                int errno = nativeError.expectedErr();
                if (errno == Errors.ERRNO_ECONNRESET_NEGATIVE || errno == Errors.ERRNO_EPIPE_NEGATIVE) {
                    return true;
                }
            } else if (t instanceof IOException io
                    && io.getMessage() != null
                    && (io.getMessage().contains("Connection reset")
                            || io.getMessage().contains("Broken pipe"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
