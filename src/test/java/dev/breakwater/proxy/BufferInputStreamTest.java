package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.resilience.OpenAiBodies;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BufferInputStreamTest {
    @Test
    void readsEveryByteInOrderWhateverTheChunkSizes() throws IOException {
        byte[] bytes = new byte[100_003];
        new SplittableRandom(7).nextBytes(bytes);
        BufferInputStream in = new BufferInputStream(Buffer.buffer(bytes));

        assertThat(in.read()).isEqualTo(bytes[0] & 0xff);
        byte[] rest = in.readAllBytes();

        assertThat(rest).hasSize(bytes.length - 1).isEqualTo(java.util.Arrays.copyOfRange(bytes, 1, bytes.length));
        assertThat(in.read()).isEqualTo(-1);
        assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
    }

    @Test
    void aModelAfterMegabytesOfMessagesIsFoundWithoutCopyingTheBody() {
        String image = "A".repeat(3 * 1024 * 1024);
        Buffer body = Buffer.buffer(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"" + image + "\"}]," + "\"model\":\"gpt-4o\"}");

        assertThat(OpenAiBodies.requestFields(new BufferInputStream(body)).model())
                .isEqualTo("gpt-4o");
    }
}
