package dev.breakwater.proxy;

import dev.breakwater.resilience.FailureKind;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Names a failed attempt's cause in words an operator acts on ({@code dns_failure}, {@code connect_refused},
 * {@code tls_handshake_failed}, ...) for logs and the status page, never a Java class name. The cause's own message
 * stays in the exception for whoever needs the detail.
 */
final class FailureWords {
    private FailureWords() {}

    /** The word for a failure of {@code kind} caused by {@code cause} (or null). */
    static String of(FailureKind kind, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String word = wordFor(t);
            if (word != null) {
                return word;
            }
        }
        return kind.label();
    }

    private static String wordFor(Throwable t) {
        String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
        if (t instanceof UnknownHostException || message.contains("failed to resolve")) {
            return "dns_failure";
        }
        if (t instanceof NoRouteToHostException || message.contains("no route to host")) {
            return "host_unreachable";
        }
        if (t instanceof SSLException) {
            return "tls_handshake_failed";
        }
        if (t instanceof ConnectException || message.contains("connection refused")) {
            return message.contains("timed out") ? "connect_timeout" : "connect_refused";
        }
        if (t instanceof TimeoutException || message.contains("timed out")) {
            return "timeout";
        }
        if (message.contains("connection reset")) {
            return "connection_reset";
        }
        if (t instanceof ClosedChannelException || message.contains("connection was closed")) {
            return "connection_closed";
        }
        return null;
    }
}
