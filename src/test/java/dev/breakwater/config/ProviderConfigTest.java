package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The {@code provider} key: every value's YAML spelling, and what a misspelling is told. */
class ProviderConfigTest {
    private final ConfigLoader loader = new ConfigLoader(Map.of());

    private static String route(String provider) {
        return """
                routes:
                  - name: llm
                    path-prefix: /
                    upstream: https://api.example.com
                    provider: %s
                """.formatted(provider);
    }

    @ParameterizedTest
    @EnumSource(Provider.class)
    void everyProviderIsReadByItsYamlName(Provider provider) throws ConfigException {
        assertThat(loader.parse(route(provider.yamlName()), "t.yaml")
                        .routes()
                        .get(0)
                        .provider())
                .isEqualTo(provider);
    }

    @Test
    void yamlNamesAreLowerCaseWithHyphens() {
        assertThat(Provider.AZURE_OPENAI.yamlName()).isEqualTo("azure-openai");
        assertThat(Provider.ANTHROPIC.yamlName()).isEqualTo("anthropic");
    }

    @Test
    void anUnderscoreSpellingIsRefusedWithTheList() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(route("azure_openai"), "t"));

        assertThat(e.problems())
                .containsExactly("t:5: routes[llm].provider: azure_openai (expected: one of: generic, openai,"
                        + " azure-openai, anthropic, mcp)");
    }

    @Test
    void theMcpRouteOfTheDocsIsValidAndDoesNotPaceByDefault() throws ConfigException {
        RouteSpec route = loader.parse("""
                        routes:
                          - name: tools
                            path-prefix: /mcp
                            upstream: http://127.0.0.1:8081
                            provider: mcp
                            timeouts: {total: 0, response: 10m}
                            stream: {first-event-timeout: 10m, idle-timeout: 30m}
                        """, "t.yaml").routes().get(0);

        assertThat(route.provider()).isEqualTo(Provider.MCP);
        assertThat(route.stream().idleTimeout(route.timeouts())).hasMinutes(30);
        assertThat(route.rateLimit().pacingFor(Provider.MCP)).isFalse();
    }
}
