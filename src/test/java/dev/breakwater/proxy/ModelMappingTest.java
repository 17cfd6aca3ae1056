package dev.breakwater.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelMappingTest {
    private static final Map<String, String> MODELS = Map.of("gpt-4o-mini", "mini-prod-deployment");

    private static String apply(String body) {
        return ModelMapping.apply(Buffer.buffer(body), MODELS).toString();
    }

    @Test
    void rewritesOnlyTheTopLevelModelAndKeepsEveryOtherByte() {
        String body = "{ \"messages\" : [{\"role\":\"user\",\"model\":\"gpt-4o-mini\"}],\n  \"model\":\"gpt-4o-mini\" ,"
                + "\"temperature\":0.50}";

        assertThat(apply(body))
                .isEqualTo("{ \"messages\" : [{\"role\":\"user\",\"model\":\"gpt-4o-mini\"}],\n"
                        + "  \"model\":\"mini-prod-deployment\" ,\"temperature\":0.50}");
    }

    @Test
    void anUnlistedModelOrABodyWithoutOneIsSentUnchanged() {
        for (String body : new String[] {
            "{\"model\":\"gpt-4o\"}",
            "{\"messages\":[]}",
            "not json",
            "",
            "[\"model\"]",
            "{\"model\":42}",
            "{\"model\":\"gpt"
        }) {
            Buffer original = Buffer.buffer(body);
            assertThat(ModelMapping.apply(original, MODELS)).isSameAs(original);
        }
    }

    @Test
    void escapesInTheClientsModelAndTheMappedNameAreHandled() {
        assertThat(ModelMapping.apply(Buffer.buffer("{\"model\":\"a\\u0062\",\"x\":1}"), Map.of("ab", "c\"d"))
                        .toString())
                .isEqualTo("{\"model\":\"c\\\"d\",\"x\":1}");
    }

    @Test
    void multiByteTextBeforeTheModelKeepsTheOffsetsRight() {
        assertThat(apply("{\"note\":\"héllo ✓\",\"model\":\"gpt-4o-mini\"}"))
                .isEqualTo("{\"note\":\"héllo ✓\",\"model\":\"mini-prod-deployment\"}");
    }
}
