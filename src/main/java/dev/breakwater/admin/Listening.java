package dev.breakwater.admin;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;

/** Binding the admin and metrics listeners. */
final class Listening {
    private Listening() {}

    /**
     * Binds {@code server}; a failure names the address and the listener ({@code what}), since Netty's own message
     * ("Address already in use") does not say which one.
     */
    static Future<HttpServer> listen(HttpServer server, String host, int port, String what) {
        return server.listen(port, host)
                .recover(t -> Future.failedFuture(new IllegalStateException(
                        "cannot listen on " + host + ":" + Math.max(0, port) + " (" + what + "): " + t.getMessage(),
                        t)));
    }
}
