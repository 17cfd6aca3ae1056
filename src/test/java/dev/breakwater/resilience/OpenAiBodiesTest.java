package dev.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpenAiBodiesTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String model(String body) {
        return OpenAiBodies.requestFields(new java.io.ByteArrayInputStream(bytes(body)))
                .model();
    }

    private static ProviderRules.ErrorFields error(String body) {
        return OpenAiBodies.error(bytes(body));
    }

    @Test
    void modelFirst() {
        assertThat(model("""
                {"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}""")).isEqualTo("gpt-4o");
    }

    @Test
    void modelLast() {
        assertThat(model("""
                {"messages":[{"role":"user","content":"hi"}],"temperature":0.2,"n":1,"stop":null,"model":"gpt-4o-mini"}
                """)).isEqualTo("gpt-4o-mini");
    }

    @Test
    void modelAfterNestedMessagesThatMentionModelAreIgnored() {
        assertThat(model("""
                {
                  "messages": [
                    {"role": "system", "content": "be brief", "model": "decoy-1"},
                    {"role": "user", "content": [{"type": "text", "text": "{\\"model\\":\\"decoy-2\\"}"}]}
                  ],
                  "metadata": {"model": "decoy-3", "nested": {"model": "decoy-4"}},
                  "tools": [[{"model": "decoy-5"}]],
                  "model": "o3-mini"
                }""")).isEqualTo("o3-mini");
    }

    @Test
    void nonAsciiModelIsDecoded() {
        assertThat(model("{\"model\":\"mod\u00e8le-\u4e00\"}")).isEqualTo("mod\u00e8le-\u4e00");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "{}",
                "{\"messages\":[{\"model\":\"decoy\"}]}",
                "{\"model\":42}",
                "{\"model\":null}",
                "{\"model\":true}",
                "{\"model\":[\"gpt-4o\"]}",
                "{\"model\":{\"name\":\"gpt-4o\"}}",
                "{\"metadata\":{\"model\":\"decoy\"}}",
            })
    void missingOrNonStringModelIsNull(String body) {
        assertThat(model(body)).isNull();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(
            strings = {
                "",
                "   ",
                "hello",
                "model=gpt-4o",
                "[{\"model\":\"gpt-4o\"}]",
                "\"gpt-4o\"",
                "null",
                "42",
                "<xml model=\"gpt-4o\"/>",
                "{model:\"gpt-4o\"}",
                "{'model':'gpt-4o'}"
            })
    void notAJsonObjectGivesNoModel(String body) {
        assertThat(model(body)).isNull();
    }

    @Test
    void notUtf8JsonGivesNoModel() {
        assertThat(OpenAiBodies.requestFields(new java.io.ByteArrayInputStream(
                                new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, 0x01, (byte) 0x80}))
                        .model())
                .isNull();
    }

    @Test
    void truncatedBodyStillYieldsAModelReadBeforeTheCut() {
        assertThat(model("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"us")).isEqualTo("gpt-4o");
    }

    @Test
    void bodyCutBeforeTheModelHasNone() {
        assertThat(model("{\"messages\":[{\"role\":\"user\"}],\"model\":\"gpt-4"))
                .isNull();
        assertThat(model("{\"messages\":[{\"role\":\"user\"}],\"mod")).isNull();
    }

    @Test
    void invalidJsonAfterTheModelStillYieldsIt() {
        assertThat(model("{\"model\":\"gpt-4o\",\"messages\":[}")).isEqualTo("gpt-4o");
    }

    @Test
    void errorTypeAndCodeAreRead() {
        ProviderRules.ErrorFields fields = error("""
                {
                  "error": {
                    "message": "You exceeded your current quota, please check your plan and billing details.",
                    "type": "insufficient_quota",
                    "param": null,
                    "code": "insufficient_quota"
                  }
                }""");

        assertThat(fields).isEqualTo(new ProviderRules.ErrorFields("insufficient_quota", "insufficient_quota"));
    }

    @Test
    void errorFieldsMayComeInAnyOrderAfterOtherFields() {
        assertThat(error("""
                {"id":"x","meta":{"error":{"type":"decoy"}},"error":{"code":"rate_limit_exceeded",
                 "details":{"type":"decoy","code":"decoy"},"param":["a"],"message":"Rate limit reached","type":"requests"}}
                """)).isEqualTo(new ProviderRules.ErrorFields("requests", "rate_limit_exceeded"));
    }

    @Test
    void missingOrNonStringErrorFieldsAreNull() {
        assertThat(error("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"code\":null}}"))
                .isEqualTo(new ProviderRules.ErrorFields("server_error", null));
        assertThat(error("{\"error\":{\"message\":\"boom\",\"code\":429}}"))
                .isEqualTo(new ProviderRules.ErrorFields(null, null));
        assertThat(error("{\"error\":{}}")).isEqualTo(new ProviderRules.ErrorFields(null, null));
    }

    @Test
    void truncatedPrefixStillYieldsTheFieldsReadBeforeTheCut() {
        assertThat(
                        error(
                                "{\"error\":{\"message\":\"Rate limit reached for gpt-4o\",\"type\":\"tokens\",\"code\":\"rate_li"))
                .isEqualTo(new ProviderRules.ErrorFields("tokens", null));
        assertThat(error("{\"error\":{\"code\":\"insufficient_quota\",\"message\":\"You exceeded your cur"))
                .isEqualTo(new ProviderRules.ErrorFields(null, "insufficient_quota"));
        assertThat(error("{\"error\":{\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\""))
                .isEqualTo(new ProviderRules.ErrorFields("insufficient_quota", "insufficient_quota"));
    }

    @Test
    void prefixCutBeforeAnyFieldYieldsNulls() {
        assertThat(error("{\"error\":{\"messa")).isEqualTo(new ProviderRules.ErrorFields(null, null));
        assertThat(error("{")).isEqualTo(new ProviderRules.ErrorFields(null, null));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(
            strings = {
                "",
                "Too Many Requests",
                "<html>429</html>",
                "[{\"error\":{\"type\":\"x\"}}]",
                "\"error\"",
                "null",
                "{\"error\":\"insufficient_quota\"}",
                "{\"error\":[{\"type\":\"x\"}]}",
                "{\"type\":\"x\",\"code\":\"y\"}"
            })
    void nonObjectOrMisshapedErrorGivesNulls(String body) {
        assertThat(error(body)).isEqualTo(new ProviderRules.ErrorFields(null, null));
    }
}
