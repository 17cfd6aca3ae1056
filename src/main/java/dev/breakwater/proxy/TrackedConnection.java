package dev.breakwater.proxy;

import io.vertx.core.http.HttpConnection;

/**
 * What the {@link ConnectionGuard} knows of one client connection. Confined to the connection's event loop.
 */
final class TrackedConnection {
    final HttpConnection connection;
    final String clientAddress;
    /** Requests whose responses have not ended. */
    int inFlight;
    /** True until the first request arrived: the head-read timeout then counts from the accept. */
    boolean fresh = true;
    /** When the connection last became idle (no request in flight). */
    long idleSinceNanos;
    /** When the first byte of the next request head arrived, 0 when none has yet. */
    long headStartNanos;
    /** Set once Breakwater decided to close this connection: a pipelined request on it is not served. */
    boolean closing;
    /** The last request on this HTTP/1 connection had a chunked body. */
    boolean lastChunked;
    /**
     * This request was pipelined behind a chunked one. RFC 9112 §6.1: a request with both Content-Length and
     * Transfer-Encoding must close the connection after its response; the decoder hides which chunked request also
     * had a length, so no request pipelined behind any chunked one is served.
     */
    boolean pipelinedBehindChunked;
    /** The head being read, or just read, folded a header line (obs-fold): the request is refused. */
    boolean obsFold;

    boolean closed;

    TrackedConnection(HttpConnection connection, String clientAddress, long nowNanos) {
        this.connection = connection;
        this.clientAddress = clientAddress;
        this.idleSinceNanos = nowNanos;
    }
}
