package dev.breakwater.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The one place Breakwater reaches below Vert.x's public API, to the Netty channel of a connection. Vert.x 5 has
 * no public hook for what needs it: noticing the first byte of a request head (slowloris), resetting a client
 * connection with RST instead of FIN (so a truncated close-delimited body is not mistaken for a complete one),
 * and asking the kernel whether a pooled upstream connection has already been closed by its peer.
 */
final class NettyChannels {
    private NettyChannels() {}

    /**
     * Makes the connection's next close a TCP reset (RST) rather than a FIN: for a client that reads a body to
     * EOF, a cut must not look like the end.
     */
    static void resetOnClose(HttpConnection connection) {
        Channel channel = of(connection);
        if (channel != null) {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        }
    }

    /** The connection's channel, or null for a connection type without one. */
    static Channel of(HttpConnection connection) {
        return connection instanceof ConnectionBase base ? base.channel() : null;
    }
}
