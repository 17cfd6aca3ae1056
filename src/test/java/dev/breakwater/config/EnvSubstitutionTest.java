package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvSubstitutionTest {
    private final EnvSubstitution env = new EnvSubstitution(Map.of(
            "OPENAI_API_KEY", "sk-test",
            "EMPTY", "",
            "PORT", "8081"));

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "plain text | plain text",
                "Bearer ${OPENAI_API_KEY} | Bearer sk-test",
                "http://127.0.0.1:${PORT}/x | http://127.0.0.1:8081/x",
                "${PORT}${PORT} | 80818081",
                "${UNSET:-fallback} | fallback",
                "${UNSET:-} | ''",
                "${EMPTY:-fallback} | fallback",
                "${PORT:-9000} | 8081",
                "'[${EMPTY}]' | []",
                "${UNSET:-a:b/c d} | a:b/c d",
                "$${LITERAL} | ${LITERAL}",
                "cost: $5 | cost: $5",
                "$$ and $ | $$ and $",
            })
    void substitutes(String text, String expected) {
        assertThat(env.substitute(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "Bearer ${UNSET_KEY} | environment variable UNSET_KEY is not set (write ${UNSET_KEY:-default} to give a default)",
                "${1X} | invalid reference ${1X} (expected: ${NAME} or ${NAME:-default})",
                "${X:default} | invalid reference ${X:default} (expected: ${NAME} or ${NAME:-default})",
                "${} | invalid reference ${} (expected: ${NAME} or ${NAME:-default})",
                "${PORT | unterminated ${ (expected: ${NAME} or ${NAME:-default}; write $${ for a literal ${)",
            })
    void rejects(String text, String message) {
        assertThatThrownBy(() -> env.substitute(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
