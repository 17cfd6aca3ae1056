package dev.breakwater.resilience;

import java.util.Optional;

/** Any HTTP backend: decisions use status codes, transport failures and the standard wait headers only. */
final class GenericRules implements ProviderRules {
    static final GenericRules INSTANCE = new GenericRules();

    private GenericRules() {}

    @Override
    public Optional<StopReason> neverRetry(ResponseHead head) {
        return Optional.empty();
    }

    @Override
    public boolean upstreamSaysRetry(ResponseHead head) {
        return false;
    }

    @Override
    public boolean wantsErrorBody(int status) {
        return false;
    }

    @Override
    public ErrorFields errorFields(byte[] bodyPrefix) {
        return ErrorFields.NONE;
    }

    @Override
    public Optional<ServerHint> hint(ServerHints hints, ResponseHead head) {
        return hints.read(head);
    }

    @Override
    public String model(OutgoingRequest request) {
        return null;
    }
}
