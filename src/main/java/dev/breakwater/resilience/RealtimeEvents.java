package dev.breakwater.resilience;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the one OpenAI Realtime server event Breakwater learns from: {@code rate_limits.updated}, whose
 * {@code rate_limits} array reports, per {@code name} ({@code requests}, {@code tokens}), the {@code limit}, what
 * is {@code remaining} and {@code reset_seconds}. The event is read, never changed: the proxy relays its frame as
 * it came and hands a copy of the bytes here only when the frame's start names this type.
 */
public final class RealtimeEvents {
    /** The event type, as it appears (quoted) near the start of the event's JSON. */
    public static final String RATE_LIMITS_UPDATED = "rate_limits.updated";

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private RealtimeEvents() {}

    /**
     * The budget a {@code rate_limits.updated} event reports, or {@link BudgetReport#NONE} when {@code event} is
     * another event, not JSON, or names no limit. Read as a stream; unknown fields and limit names are skipped.
     */
    public static BudgetReport rateLimits(InputStream event) {
        boolean typed = false;
        long[] requests = {-1, -1, -1};
        long[] tokens = {-1, -1, -1};
        try (JsonParser parser = JSON.createParser(event)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return BudgetReport.NONE;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("type".equals(name)) {
                    if (value != JsonToken.VALUE_STRING || !RATE_LIMITS_UPDATED.equals(parser.getText())) {
                        return BudgetReport.NONE;
                    }
                    typed = true;
                } else if ("rate_limits".equals(name) && value == JsonToken.START_ARRAY) {
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        readLimit(parser, requests, tokens);
                    }
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // cut short or not JSON: nothing learned
            return BudgetReport.NONE;
        }
        if (!typed) {
            return BudgetReport.NONE;
        }
        return new BudgetReport(requests[0], requests[1], requests[2], tokens[0], tokens[1], tokens[2]);
    }

    /** One entry of {@code rate_limits}: its limit, remaining and reset (ms) go to {@code requests} or {@code tokens}. */
    private static void readLimit(JsonParser parser, long[] requests, long[] tokens) throws IOException {
        String limitName = null;
        long limit = -1;
        long remaining = -1;
        long resetMillis = -1;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            boolean number = value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT;
            if ("name".equals(field) && value == JsonToken.VALUE_STRING) {
                limitName = parser.getText();
            } else if ("limit".equals(field) && number) {
                limit = Math.max(-1, parser.getLongValue());
            } else if ("remaining".equals(field) && number) {
                remaining = Math.max(-1, parser.getLongValue());
            } else if ("reset_seconds".equals(field) && number) {
                double seconds = parser.getDoubleValue();
                // A reset now still means "this window": at least 1 ms, as BudgetHeaders reads header resets.
                resetMillis = seconds >= 0 ? Math.max(1, (long) Math.ceil(seconds * 1000)) : -1;
            } else {
                parser.skipChildren();
            }
        }
        long[] into = "requests".equals(limitName) ? requests : "tokens".equals(limitName) ? tokens : null;
        if (into != null) {
            into[0] = limit;
            into[1] = remaining;
            into[2] = resetMillis;
        }
    }
}
