package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GateKeysTest {
    private static final String UPSTREAM = "api.openai.com:443";

    @Test
    void twoCredentialsNeverShareAKey() {
        assertThat(GateKeys.of(UPSTREAM, "Bearer sk-a", "gpt-4o"))
                .isNotEqualTo(GateKeys.of(UPSTREAM, "Bearer sk-b", "gpt-4o"));
    }

    @Test
    void oneCredentialsModelsNeverShareAKey() {
        assertThat(GateKeys.of(UPSTREAM, "Bearer sk-a", "gpt-4o"))
                .isNotEqualTo(GateKeys.of(UPSTREAM, "Bearer sk-a", "gpt-4o-mini"));
    }

    @Test
    void twoUpstreamsNeverShareAKey() {
        assertThat(GateKeys.of(UPSTREAM, "Bearer sk-a", "gpt-4o"))
                .isNotEqualTo(GateKeys.of("example.openai.azure.com:443", "Bearer sk-a", "gpt-4o"));
    }

    @Test
    void theKeyNeverContainsTheCredential() {
        String key = GateKeys.of(UPSTREAM, "Bearer sk-secret-value", "gpt-4o");

        assertThat(key)
                .doesNotContain("sk-secret-value")
                .endsWith("/gpt-4o")
                .hasSize(UPSTREAM.length() + 1 + 12 + 1 + 6);
    }

    @Test
    void withoutCredentialOrModelTheKeyIsStable() {
        assertThat(GateKeys.of(UPSTREAM, null, null))
                .isEqualTo(GateKeys.of(UPSTREAM, "", null))
                .isEqualTo(UPSTREAM + " -");
        assertThat(GateKeys.of(UPSTREAM, "k", null)).isEqualTo(GateKeys.of(UPSTREAM, "k", ""));
    }
}
