package dev.breakwater.resilience;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.breakwater.resilience.ProviderRules.ErrorFields;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the few fields Breakwater needs from OpenAI JSON bodies with a streaming parser: the request's
 * {@code model}, and an error response's {@code error.type} and {@code error.code}. Bodies are never bound
 * whole, and a truncated or malformed body yields whatever was read before the damage.
 */
public final class OpenAiBodies {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private OpenAiBodies() {}

    /** The top-level {@code model} string of a request body, read as a stream (never copied whole), or null. */
    public static String model(InputStream body) {
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(name) && value == JsonToken.VALUE_STRING) {
                    return parser.getText();
                }
                parser.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON, or cut short: no model
        }
        return null;
    }

    /**
     * The completion-token cap of a request body: the top-level {@code max_completion_tokens},
     * {@code max_output_tokens} or {@code max_tokens} (OpenAI Chat, Responses, legacy and Anthropic), read as a
     * stream; -1 when none is named.
     */
    public static long maxOutputTokens(InputStream body) {
        long found = -1;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return -1;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_NUMBER_INT
                        && (name.equals("max_tokens")
                                || name.equals("max_completion_tokens")
                                || name.equals("max_output_tokens"))) {
                    found = Math.max(found, parser.getLongValue());
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not JSON, or cut short: what was read so far
        }
        return found;
    }

    /** {@code error.type} and {@code error.code} of an error body prefix; either may be null. */
    public static ErrorFields error(byte[] bodyPrefix) {
        String type = null;
        String code = null;
        try (JsonParser parser = JSON.createParser(bodyPrefix)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return ErrorFields.NONE;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("error".equals(name) && value == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String field = parser.currentName();
                        JsonToken fieldValue = parser.nextToken();
                        if (fieldValue == JsonToken.VALUE_STRING && "type".equals(field)) {
                            type = parser.getText();
                        } else if (fieldValue == JsonToken.VALUE_STRING && "code".equals(field)) {
                            code = parser.getText();
                        } else {
                            parser.skipChildren();
                        }
                    }
                    break;
                }
                parser.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            // truncated prefix: keep what was read
        }
        return new ErrorFields(type, code);
    }
}
