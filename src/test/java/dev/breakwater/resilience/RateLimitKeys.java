package dev.breakwater.resilience;

/** The rate-limit key a request gets at an upstream without credential headers of its own, for provider tests. */
final class RateLimitKeys {
    private RateLimitKeys() {}

    static String of(ProviderRules rules, String address, OutgoingRequest request) {
        String credential = null;
        for (String name : Credentials.HEADERS) {
            credential = request.header(name);
            if (credential != null) {
                break;
            }
        }
        return GateKeys.of(address, credential, rules.model(request));
    }
}
