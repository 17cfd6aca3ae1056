package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class UpstreamConnectionTest {

    @Test
    void keepAliveTimeoutIsReadFromTheHeader() {
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("timeout=5, max=100"))
                .isEqualTo(5);
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("max=100,Timeout=30"))
                .isEqualTo(30);
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("max=100")).isEqualTo(-1);
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("timeout=soon")).isEqualTo(-1);
    }

    @Test
    void aResetByThePeerIsRecognisedThroughTheCauseChain() {
        assertThat(UpstreamConnection.isPeerReset(new SocketException("Connection reset")))
                .isTrue();
        assertThat(UpstreamConnection.isPeerReset(new RuntimeException(new IOException("Broken pipe"))))
                .isTrue();
    }

    @Test
    void aPlainCloseIsNotAReset() {
        assertThat(UpstreamConnection.isPeerReset(new HttpClosedException("Connection was closed")))
                .isFalse();
        assertThat(UpstreamConnection.isPeerReset(new IOException("timed out"))).isFalse();
        assertThat(UpstreamConnection.isPeerReset(null)).isFalse();
    }

    @Test
    void aConnectionIsNotUsedInTheLastStretchOfTheUpstreamsKeepAliveTimeout() {
        UpstreamConnection connection = new UpstreamConnection(new io.netty.channel.embedded.EmbeddedChannel());
        long second = 1_000_000_000L;
        connection.onResponse(10 * second, "timeout=5, max=100");

        assertThat(connection.nearKeepAliveExpiry(10 * second + 3 * second)).isFalse();
        assertThat(connection.nearKeepAliveExpiry(10 * second + 4 * second))
                .as("1 s margin")
                .isTrue();
    }

    @Test
    void aShortKeepAliveTimeoutKeepsAQuarterAsMargin() {
        UpstreamConnection connection = new UpstreamConnection(new io.netty.channel.embedded.EmbeddedChannel());
        connection.onResponse(1_000_000_000L, "timeout=2");

        assertThat(connection.nearKeepAliveExpiry(2_400_000_000L)).isFalse();
        assertThat(connection.nearKeepAliveExpiry(2_500_000_000L))
                .as("0.5 s margin")
                .isTrue();
    }

    @Test
    void withoutAnAdvertisedTimeoutTheConnectionNeverExpiresHere() {
        UpstreamConnection connection = new UpstreamConnection(new io.netty.channel.embedded.EmbeddedChannel());
        connection.onResponse(1, null);

        assertThat(connection.nearKeepAliveExpiry(Long.MAX_VALUE / 2)).isFalse();
    }
}
