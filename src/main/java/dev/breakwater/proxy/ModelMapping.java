package dev.breakwater.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Map;

/**
 * Rewrites the top-level {@code model} of a JSON request body for an upstream with a {@code models} map, leaving
 * every other byte as the client sent it. A body that is not a JSON object, has no string {@code model}, or names
 * a model the map does not list is sent unchanged.
 */
final class ModelMapping {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ModelMapping() {}

    /** The body to send to an upstream with {@code models}: {@code body} itself when nothing is rewritten. */
    static Buffer apply(Buffer body, Map<String, String> models) {
        if (models.isEmpty() || body.length() == 0) {
            return body;
        }
        // Parsed in place; bytes are copied only to build a rewritten body.
        try (JsonParser parser = JSON.createParser(new BufferInputStream(body))) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return body;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(name) && value == JsonToken.VALUE_STRING) {
                    int start = (int) parser.currentTokenLocation().getByteOffset();
                    String mapped = models.get(parser.getText());
                    int end = (int) parser.currentLocation().getByteOffset();
                    if (mapped == null
                            || start < 0
                            || end <= start
                            || body.getByte(start) != '"'
                            || body.getByte(end - 1) != '"') {
                        return body;
                    }
                    byte[] quoted = JsonStringEncoder.getInstance().quoteAsUTF8(mapped);
                    return Buffer.buffer(body.length() - (end - start) + quoted.length + 2)
                            .appendBuffer(body, 0, start)
                            .appendByte((byte) '"')
                            .appendBytes(quoted)
                            .appendByte((byte) '"')
                            .appendBuffer(body, end, body.length() - end);
                }
                parser.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON, or cut short: sent as the client wrote it
        }
        return body;
    }
}
