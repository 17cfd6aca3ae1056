package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.resilience.FailureKind;
import io.netty.channel.ConnectTimeoutException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class FailureWordsTest {
    @Test
    void namesCausesInWordsNotClassNames() {
        assertThat(FailureWords.of(FailureKind.CONNECT_FAILURE, new UnknownHostException("nowhere.invalid")))
                .isEqualTo("dns_failure");
        assertThat(FailureWords.of(
                        FailureKind.CONNECT_FAILURE, new ConnectException("Connection refused: /127.0.0.1:1")))
                .isEqualTo("connect_refused");
        assertThat(FailureWords.of(
                        FailureKind.CONNECT_FAILURE, new ConnectTimeoutException("connection timed out: /10.0.0.1:80")))
                .isEqualTo("connect_timeout");
        assertThat(FailureWords.of(FailureKind.CONNECT_FAILURE, new SSLHandshakeException("PKIX path building")))
                .isEqualTo("tls_handshake_failed");
        assertThat(FailureWords.of(FailureKind.RESET_BEFORE_HEADERS, new IOException("Connection reset by peer")))
                .isEqualTo("connection_reset");
        assertThat(FailureWords.of(FailureKind.RESET_BEFORE_HEADERS, new ClosedChannelException()))
                .isEqualTo("connection_closed");
        assertThat(FailureWords.of(FailureKind.RESPONSE_TIMEOUT, new TimeoutException()))
                .isEqualTo("timeout");
    }

    @Test
    void looksThroughWrappersAndFallsBackToTheFailureKind() {
        assertThat(FailureWords.of(
                        FailureKind.CONNECT_FAILURE,
                        new IllegalStateException("wrapped", new UnknownHostException("x"))))
                .isEqualTo("dns_failure");
        assertThat(FailureWords.of(FailureKind.RESPONSE_TIMEOUT, null)).isEqualTo("response_timeout");
        assertThat(FailureWords.of(FailureKind.PROTOCOL_ERROR, new IllegalArgumentException("bad head")))
                .isEqualTo("protocol_error");
    }
}
