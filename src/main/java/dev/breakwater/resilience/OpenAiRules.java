package dev.breakwater.resilience;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The OpenAI API and compatible ones. What retrying cannot fix: 400, 401, 403, 404 and 422, a 429 that means the
 * account is out of quota or credit, and an upstream {@code x-should-retry: false}; an upstream
 * {@code x-should-retry: true} makes an otherwise unlisted status retryable (as OpenAI's SDKs read it, on error
 * responses only). Waits also come from {@code x-ratelimit-reset-*}; rate limits are per key and model.
 */
final class OpenAiRules implements ProviderRules {
    static final OpenAiRules INSTANCE = new OpenAiRules();
    private static final ErrorAnswers ANSWERS =
            new ErrorAnswers(Set.of(400, 401, 403, 404, 422), OpenAiRules::isQuotaError);

    private OpenAiRules() {}

    @Override
    public Optional<StopReason> neverRetry(ResponseHead head) {
        return ANSWERS.neverRetry(head);
    }

    @Override
    public boolean upstreamSaysRetry(ResponseHead head) {
        return ErrorAnswers.upstreamSaysRetry(head);
    }

    @Override
    public boolean wantsErrorBody(int status) {
        return status == 429;
    }

    @Override
    public ErrorFields errorFields(byte[] bodyPrefix) {
        return OpenAiBodies.error(bodyPrefix);
    }

    @Override
    public Optional<ServerHint> hint(ServerHints hints, ResponseHead head) {
        return hints.read(head).or(() -> rateLimitReset(head));
    }

    /**
     * The longer of {@code x-ratelimit-reset-requests} and {@code x-ratelimit-reset-tokens} (Go durations such as
     * {@code 6m0s}) whose {@code x-ratelimit-remaining-*} is 0: the time until that quota refills.
     */
    static Optional<ServerHint> rateLimitReset(ResponseHead head) {
        OptionalLong requests = resetIfExhausted(head, "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests");
        OptionalLong tokens = resetIfExhausted(head, "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens");
        if (requests.isEmpty() && tokens.isEmpty()) {
            return Optional.empty();
        }
        long millis = Math.max(requests.orElse(0), tokens.orElse(0));
        return Optional.of(new ServerHint(millis, WaitSource.RATELIMIT_RESET));
    }

    private static OptionalLong resetIfExhausted(ResponseHead head, String remaining, String reset) {
        String left = head.header(remaining);
        if (left == null || !left.trim().equals("0")) {
            return OptionalLong.empty();
        }
        return GoDuration.toMillis(head.header(reset));
    }

    @Override
    public String model(OutgoingRequest request) {
        return request.jsonFields().model();
    }

    /**
     * True for OpenAI errors that mean the account is out of quota, credit or budget, which no retry can fix:
     * {@code insufficient_quota}, {@code billing_hard_limit_reached}, {@code billing_not_active},
     * {@code credit_balance_exhausted} and their kin.
     */
    static boolean isQuotaError(String codeOrType) {
        if (codeOrType == null) {
            return false;
        }
        String c = codeOrType.toLowerCase(Locale.ROOT);
        return c.contains("quota") || c.contains("billing") || c.contains("credit");
    }
}
