package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.observability.RequestIds;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests {@link RequestIds}; kept in this package because the proxy is where request ids are assigned. */
class RequestIdsTest {
    private static final String UUID_SHAPE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    private final RequestIds ids = new RequestIds();

    @ParameterizedTest
    @ValueSource(strings = {"abc-123", "req_01HZX9", "a", "!~{}[]:;=+/", "0f8fad5b-d9cb-469f-a165-70867728950e"})
    void saneClientIdIsKept(String clientId) {
        assertThat(ids.idFor(clientId)).isEqualTo(clientId);
    }

    @Test
    void clientIdOfExactlyTwoHundredCharactersIsKept() {
        String id = "x".repeat(200);

        assertThat(ids.idFor(id)).isEqualTo(id);
    }

    @ParameterizedTest
    @NullAndEmptySource
    void missingClientIdIsReplacedByAGeneratedOne(String clientId) {
        assertThat(ids.idFor(clientId)).matches(UUID_SHAPE);
    }

    @Test
    void clientIdLongerThanTwoHundredCharactersIsReplaced() {
        assertThat(ids.idFor("x".repeat(201))).matches(UUID_SHAPE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "has space",
                "tab\there",
                "new\nline",
                "cr\rlf",
                "nul\0",
                "del\u007f",
                "caf\u00e9",
                "emoji\uD83D\uDE00"
            })
    void clientIdWithNonPrintableOrNonAsciiCharactersIsReplaced(String clientId) {
        assertThat(ids.idFor(clientId)).matches(UUID_SHAPE);
    }

    @Test
    void generatedIdIsThirtySixCharactersInUuidShape() {
        String id = ids.generate();

        assertThat(id).hasSize(36).matches(UUID_SHAPE);
    }

    @Test
    void generatedIdsDiffer() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            seen.add(ids.generate());
        }

        assertThat(seen).hasSize(1_000);
    }
}
