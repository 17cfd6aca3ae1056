package dev.breakwater.resilience;

import dev.breakwater.config.UpstreamTarget;
import java.util.List;
import java.util.Map;

/**
 * Which credential an upstream receives. An upstream that sets any credential header in its {@code headers} gets
 * only that: the client's own {@code authorization}, {@code api-key} and {@code x-api-key} are dropped, so a
 * fallback's key never travels beside the client's. Otherwise the client's credential passes through.
 */
public final class Credentials {
    /** Where an upstream credential travels: OpenAI, Azure OpenAI, Anthropic. */
    public static final List<String> HEADERS = List.of("authorization", "api-key", "x-api-key");

    private Credentials() {}

    /** True when the upstream's configured headers carry a credential of their own. */
    public static boolean setByUpstream(UpstreamTarget target) {
        for (String name : target.headers().keySet()) {
            if (isCredential(name)) {
                return true;
            }
        }
        return false;
    }

    /** True for a header that carries a credential, whatever its case. */
    public static boolean isCredential(String name) {
        for (String credential : HEADERS) {
            if (credential.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** The credential {@code target} receives for a request that carries {@code outgoing}'s headers, or null. */
    static String of(UpstreamTarget target, OutgoingRequest outgoing) {
        boolean own = setByUpstream(target);
        for (String name : HEADERS) {
            if (own) {
                for (Map.Entry<String, String> header : target.headers().entrySet()) {
                    if (header.getKey().equalsIgnoreCase(name)) {
                        return header.getValue();
                    }
                }
            } else {
                String sent = outgoing.header(name);
                if (sent != null) {
                    return sent;
                }
            }
        }
        return null;
    }
}
