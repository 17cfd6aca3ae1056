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

    /**
     * The top-level fields of a request body that admission reads, found in one pass of a streaming parser.
     *
     * @param model the first top-level {@code model} string, or null
     * @param maxOutputTokens the completion-token cap: the largest top-level {@code max_completion_tokens},
     *     {@code max_output_tokens} or {@code max_tokens} (OpenAI Chat, Responses, legacy and Anthropic); -1 when
     *     none is named
     */
    public record RequestFields(String model, long maxOutputTokens) {
        /** A body with neither field (no body, or not a JSON object). */
        public static final RequestFields NONE = new RequestFields(null, -1);
    }

    /**
     * Reads {@link RequestFields} from a request body as a stream (never copied whole). A malformed or truncated
     * body yields what was read before the damage.
     */
    public static RequestFields requestFields(InputStream body) {
        String model = null;
        long maxOutputTokens = -1;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return RequestFields.NONE;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_STRING && model == null && name.equals("model")) {
                    model = parser.getText();
                } else if (value == JsonToken.VALUE_NUMBER_INT
                        && (name.equals("max_tokens")
                                || name.equals("max_completion_tokens")
                                || name.equals("max_output_tokens"))) {
                    maxOutputTokens = Math.max(maxOutputTokens, parser.getLongValue());
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not JSON, or cut short: what was read so far
        }
        return model == null && maxOutputTokens < 0 ? RequestFields.NONE : new RequestFields(model, maxOutputTokens);
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
