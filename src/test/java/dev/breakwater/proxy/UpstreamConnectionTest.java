package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class UpstreamConnectionTest {

    @Test
    void keepAliveTimeoutIsReadFromTheHeader() {
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("timeout=5, max=100")).isEqualTo(5);
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("max=100,Timeout=30")).isEqualTo(30);
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("max=100")).isEqualTo(-1);
        assertThat(UpstreamConnection.keepAliveTimeoutSeconds("timeout=soon")).isEqualTo(-1);
    }

    @Test
    void aResetByThePeerIsRecognisedThroughTheCauseChain() {
        assertThat(UpstreamConnection.isPeerReset(new SocketException("Connection reset"))).isTrue();
        assertThat(UpstreamConnection.isPeerReset(new RuntimeException(new IOException("Broken pipe")))).isTrue();
    }

    @Test
    void aPlainCloseIsNotAReset() {
        assertThat(UpstreamConnection.isPeerReset(new HttpClosedException("Connection was closed"))).isFalse();
        assertThat(UpstreamConnection.isPeerReset(new IOException("timed out"))).isFalse();
        assertThat(UpstreamConnection.isPeerReset(null)).isFalse();
    }
}
