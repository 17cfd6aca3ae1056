package dev.breakwater.resilience;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The rate-limit gate's keys. A limit belongs to an upstream, a credential there (an OpenAI project, an Azure
 * resource key) and, for LLM providers, a model: two API keys never hold each other's requests, and one key's
 * models never hold each other. The credential enters the key only as a short SHA-256 fingerprint, never as its
 * value.
 */
public final class GateKeys {
    private static final HexFormat HEX = HexFormat.of();

    private GateKeys() {}

    /**
     * @param upstream the upstream's {@code host:port}
     * @param credential the credential the upstream request carries ({@code Authorization}, {@code api-key} or
     *     {@code x-api-key}), or null
     * @param model the request's model, or null when the provider has none or the body names none
     */
    public static String of(String upstream, String credential, String model) {
        String fingerprint = credential == null || credential.isEmpty() ? "-" : fingerprint(credential);
        String key = upstream + " " + fingerprint;
        return model == null || model.isEmpty() ? key : key + "/" + model;
    }

    /**
     * The name of a gate key in a fleet's Redis: 16 hex digits of its SHA-256, so that Redis holds no upstream,
     * model or credential fingerprint in the clear.
     */
    public static String fleetHash(String key) {
        return HEX.formatHex(sha256(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
    }

    /** The first 12 hex digits of the credential's SHA-256: enough to tell keys apart, useless to recover one. */
    static String fingerprint(String credential) {
        return HEX.formatHex(sha256(credential.getBytes(StandardCharsets.UTF_8)), 0, 6);
    }

    /** The SHA-256 of {@code bytes}, for the keys here and the idempotency store's. */
    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
