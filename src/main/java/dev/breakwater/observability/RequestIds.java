package dev.breakwater.observability;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: the client's {@code x-request-id} when it is sane, else a new random UUID-shaped id. Ids only
 * correlate logs, so a fast non-cryptographic random source is enough (UUID.randomUUID contends on SecureRandom).
 */
public final class RequestIds {
    private static final int MAX_LENGTH = 200;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** The id to use for a request that carried {@code fromClient} (possibly null). */
    public String idFor(String fromClient) {
        if (fromClient != null
                && !fromClient.isEmpty()
                && fromClient.length() <= MAX_LENGTH
                && isPrintableAscii(fromClient)) {
            return fromClient;
        }
        return generate();
    }

    /** A new random id in UUID form. */
    public String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[36];
        long hi = random.nextLong();
        long lo = random.nextLong();
        int pos = 0;
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20) {
                out[pos++] = '-';
            }
            long word = i < 16 ? hi : lo;
            int shift = (15 - (i % 16)) * 4;
            out[pos++] = HEX[(int) ((word >>> shift) & 0xF)];
        }
        return new String(out);
    }

    private static boolean isPrintableAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
