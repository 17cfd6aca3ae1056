package dev.breakwater.proxy;

import io.vertx.core.buffer.Buffer;
import java.io.InputStream;

/** Reads a Vert.x {@link Buffer} as a stream without copying it whole: a body of megabytes is parsed in place. */
final class BufferInputStream extends InputStream {
    private final Buffer buffer;
    private int position;

    BufferInputStream(Buffer buffer) {
        this.buffer = buffer;
    }

    @Override
    public int read() {
        return position < buffer.length() ? buffer.getByte(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] into, int offset, int length) {
        if (length == 0) {
            return 0;
        }
        int left = buffer.length() - position;
        if (left <= 0) {
            return -1;
        }
        int n = Math.min(length, left);
        buffer.getBytes(position, position + n, into, offset);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return buffer.length() - position;
    }
}
