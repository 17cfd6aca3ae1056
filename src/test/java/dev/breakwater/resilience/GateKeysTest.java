package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GateKeysTest {

    @Test
    void twoCredentialsNeverShareAKey() {
        assertThat(GateKeys.of("Bearer sk-a", "gpt-4o")).isNotEqualTo(GateKeys.of("Bearer sk-b", "gpt-4o"));
    }

    @Test
    void oneCredentialsModelsNeverShareAKey() {
        assertThat(GateKeys.of("Bearer sk-a", "gpt-4o")).isNotEqualTo(GateKeys.of("Bearer sk-a", "gpt-4o-mini"));
    }

    @Test
    void theKeyNeverContainsTheCredential() {
        String key = GateKeys.of("Bearer sk-secret-value", "gpt-4o");

        assertThat(key).doesNotContain("sk-secret-value").endsWith("/gpt-4o").hasSize(12 + 1 + 6);
    }

    @Test
    void withoutCredentialOrModelTheKeyIsStable() {
        assertThat(GateKeys.of(null, null)).isEqualTo(GateKeys.of("", null)).isEqualTo("-");
        assertThat(GateKeys.of("k", null)).isEqualTo(GateKeys.of("k", ""));
    }
}
