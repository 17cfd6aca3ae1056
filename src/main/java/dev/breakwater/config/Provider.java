package dev.breakwater.config;

/** What kind of API a route fronts; {@link #OPENAI} turns on OpenAI-aware failure classification. */
public enum Provider {
    /** Any HTTP backend: decisions use status codes and transport failures only. */
    GENERIC,
    /** The OpenAI API (or a compatible one): also reads OpenAI's error codes and rate-limit headers. */
    OPENAI;

    /** The spelling used in YAML. */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
