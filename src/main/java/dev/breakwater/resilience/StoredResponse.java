package dev.breakwater.resilience;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A response kept for an {@code Idempotency-Key}, to answer a duplicate of its request without calling the
 * upstream again. Its headers are the response's own end-to-end headers (never a request's credentials), kept as
 * one UTF-8 block ({@code name\0value\0...}) rather than a map: a store of 100,000 small responses is mostly
 * headers.
 *
 * @param status the status
 * @param head the headers as {@code name\0value\0} pairs, names lower case
 * @param body the whole body
 */
public record StoredResponse(int status, byte[] head, byte[] body) {
    /** A response with {@code headers} in order. */
    public static StoredResponse of(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        StringBuilder block = new StringBuilder(headers.size() * 32);
        for (Map.Entry<String, String> header : headers) {
            block.append(header.getKey()).append('\0').append(header.getValue()).append('\0');
        }
        return new StoredResponse(status, block.toString().getBytes(StandardCharsets.UTF_8), body);
    }

    /** The headers in order. */
    public List<Map.Entry<String, String>> headers() {
        String block = new String(head, StandardCharsets.UTF_8);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        int start = 0;
        while (start < block.length()) {
            int nameEnd = block.indexOf('\0', start);
            int valueEnd = block.indexOf('\0', nameEnd + 1);
            headers.add(Map.entry(block.substring(start, nameEnd), block.substring(nameEnd + 1, valueEnd)));
            start = valueEnd + 1;
        }
        return headers;
    }

    /** About the bytes this response holds in memory, for the store's bound. */
    long weight() {
        return 64L + head.length + body.length;
    }
}
