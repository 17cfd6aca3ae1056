package dev.breakwater.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BearerTokenTest {
    private final BearerToken check = new BearerToken("s3cret-token");

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Bearer s3cret-token",
                "bearer s3cret-token",
                "BEARER s3cret-token",
                "bEaReR s3cret-token",
                "Bearer  s3cret-token"
            })
    void acceptsTheSchemeInAnyCase(String header) {
        assertThat(check.matches(header)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Bearer",
                "Bearer ",
                "Bearers3cret-token",
                "Basic s3cret-token",
                "Bearer S3CRET-TOKEN",
                "Bearer s3cret-toke",
                "Bearer s3cret-token ",
                "Bearer s3cret-tokenX",
                "Token s3cret-token",
                "Bearer\ts3cret-token"
            })
    void refusesAnythingElseAndComparesTheTokenExactly(String header) {
        assertThat(check.matches(header)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void refusesAMissingHeader() {
        assertThat(check.matches(null)).isFalse();
    }
}
