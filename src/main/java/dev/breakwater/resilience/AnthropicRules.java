package dev.breakwater.resilience;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.breakwater.config.CircuitBreakerSpec;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Anthropic's Messages API. What retrying cannot fix: 400, 401, 402, 403, 404 and 413, a 429 that says a spend
 * limit or the credit balance ran out, and an upstream {@code x-should-retry: false}. 529 {@code overloaded_error}
 * (Anthropic's own "overloaded" status) is always retryable and always a circuit-breaker failure, whatever the
 * route's {@code retry-on-status} and {@code record-status} list; an upstream {@code x-should-retry: true} makes any
 * other error retryable too, as Anthropic's SDKs read it. Waits come from {@code retry-after-ms} and
 * {@code Retry-After}, else from the {@code anthropic-ratelimit-*-reset} timestamp of a quota whose
 * {@code -remaining} is 0; rate limits are per key and model.
 */
final class AnthropicRules implements ProviderRules {
    static final AnthropicRules INSTANCE = new AnthropicRules();

    /** Anthropic's "the API is temporarily overloaded" status, answered with {@code overloaded_error}. */
    static final int OVERLOADED = 529;

    /**
     * The {@link ErrorFields#code} given to a 429 whose body has no {@code error.details.error_code} but whose
     * {@code error.message} names a spend limit or the credit balance (see {@link #SPEND_LIMIT_PHRASES}).
     */
    static final String SPEND_LIMIT_IN_MESSAGE = "spend_limit_in_message";

    /** Phrases of an {@code error.message} (compared in lower case) that mean money, not rate, ran out. */
    static final List<String> SPEND_LIMIT_PHRASES =
            List.of("spend limit", "spending limit", "credit balance", "credit limit");

    /** The quotas Anthropic reports, each as {@code anthropic-ratelimit-NAME-remaining} and {@code -reset}. */
    private static final List<String> QUOTAS = List.of("requests", "tokens", "input-tokens", "output-tokens");

    private static final ErrorAnswers ANSWERS =
            new ErrorAnswers(Set.of(400, 401, 402, 403, 404, 413), AnthropicRules::isSpendLimit);
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private AnthropicRules() {}

    @Override
    public Optional<StopReason> neverRetry(ResponseHead head) {
        return ANSWERS.neverRetry(head);
    }

    @Override
    public boolean upstreamSaysRetry(ResponseHead head) {
        return head.status() == OVERLOADED || ErrorAnswers.upstreamSaysRetry(head);
    }

    @Override
    public boolean wantsErrorBody(int status) {
        return status == 429;
    }

    /**
     * {@code error.type} and {@code error.details.error_code} of an Anthropic error body
     * ({@code {"type":"error","error":{"type":...,"message":...,"details":{"error_code":...}}}}); without an
     * {@code error_code}, {@link #SPEND_LIMIT_IN_MESSAGE} when the message names a spend or credit limit.
     */
    @Override
    public ErrorFields errorFields(byte[] bodyPrefix) {
        String type = null;
        String code = null;
        String message = null;
        try (JsonParser parser = JSON.createParser(bodyPrefix)) {
            if (parser.nextToken() == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (!"error".equals(name) || value != JsonToken.START_OBJECT) {
                        parser.skipChildren();
                        continue;
                    }
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String field = parser.currentName();
                        JsonToken fieldValue = parser.nextToken();
                        if (fieldValue == JsonToken.VALUE_STRING && "type".equals(field)) {
                            type = parser.getText();
                        } else if (fieldValue == JsonToken.VALUE_STRING && "message".equals(field)) {
                            message = parser.getText();
                        } else if (fieldValue == JsonToken.START_OBJECT && "details".equals(field)) {
                            code = errorCode(parser);
                        } else {
                            parser.skipChildren();
                        }
                    }
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // truncated prefix: keep what was read
        }
        if (code == null && namesSpendLimit(message)) {
            code = SPEND_LIMIT_IN_MESSAGE;
        }
        return type == null && code == null ? ErrorFields.NONE : new ErrorFields(type, code);
    }

    /** {@code error_code} of the {@code details} object the parser stands at the start of, or null. */
    private static String errorCode(JsonParser parser) throws IOException {
        String code = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.VALUE_STRING && "error_code".equals(name)) {
                code = parser.getText();
            } else {
                parser.skipChildren();
            }
        }
        return code;
    }

    @Override
    public BudgetReport budget(ServerHints hints, ResponseHead head) {
        return BudgetHeaders.anthropic(hints, head);
    }

    @Override
    public Optional<ServerHint> hint(ServerHints hints, ResponseHead head) {
        return hints.read(head).or(() -> rateLimitReset(hints, head));
    }

    /**
     * The latest {@code anthropic-ratelimit-*-reset} (RFC 3339 timestamps, measured against the hints' clock)
     * among the quotas whose {@code anthropic-ratelimit-*-remaining} is 0: when the exhausted quota refills.
     */
    static Optional<ServerHint> rateLimitReset(ServerHints hints, ResponseHead head) {
        long latest = -1;
        for (String quota : QUOTAS) {
            String left = head.header("anthropic-ratelimit-" + quota + "-remaining");
            if (left == null || !left.trim().equals("0")) {
                continue;
            }
            OptionalLong reset = hints.untilTimestamp(head.header("anthropic-ratelimit-" + quota + "-reset"));
            if (reset.isPresent()) {
                latest = Math.max(latest, reset.getAsLong());
            }
        }
        return latest < 0 ? Optional.empty() : Optional.of(new ServerHint(latest, WaitSource.RATELIMIT_RESET));
    }

    @Override
    public String model(OutgoingRequest request) {
        return request.jsonFields().model();
    }

    /** The route's breaker settings with 529 recorded as a failure, like the 5xx statuses of the default list. */
    @Override
    public CircuitBreakerSpec breakerSpec(CircuitBreakerSpec route) {
        if (route.recordStatus().contains(OVERLOADED)) {
            return route;
        }
        Set<Integer> recordStatus = new HashSet<>(route.recordStatus());
        recordStatus.add(OVERLOADED);
        return new CircuitBreakerSpec(
                route.enabled(),
                route.failureRateThreshold(),
                route.slidingWindowType(),
                route.slidingWindowSize(),
                route.minimumNumberOfCalls(),
                route.waitDurationInOpenState(),
                route.permittedNumberOfCallsInHalfOpenState(),
                route.slowCallRateThreshold(),
                route.slowCallDurationThreshold(),
                recordStatus);
    }

    /**
     * True for an {@code error.details.error_code} or {@code error.type} that means the organisation is out of
     * money rather than over a rate: {@code enforced_spend_limit_reached}, {@code contract_spend_limit_reached},
     * {@code billing_error}, {@link #SPEND_LIMIT_IN_MESSAGE}, and the OpenAI-style quota, billing and credit codes.
     * Not {@code ramp_limit_exceeded}, a rate limit that passes.
     */
    static boolean isSpendLimit(String codeOrType) {
        if (codeOrType == null) {
            return false;
        }
        return codeOrType.toLowerCase(Locale.ROOT).contains("spend_limit") || OpenAiRules.isQuotaError(codeOrType);
    }

    /** True when an error message names a spend limit or the credit balance (see {@link #SPEND_LIMIT_PHRASES}). */
    static boolean namesSpendLimit(String message) {
        if (message == null) {
            return false;
        }
        String m = message.toLowerCase(Locale.ROOT);
        return SPEND_LIMIT_PHRASES.stream().anyMatch(m::contains);
    }
}
