package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file that is not a plausible config is refused before it is read or parsed, with a clear problem. */
class ConfigSizeLimitTest {
    private static final String ROUTE = "routes:\n  - {name: a, path-prefix: /, upstream: \"http://a\"}\n";
    private final ConfigLoader loader = new ConfigLoader(Map.of());

    @TempDir
    Path dir;

    @Test
    void refusesAFileOverOneMebibyteBeforeReadingIt() throws Exception {
        Path file = dir.resolve("big.yaml");
        byte[] comment = ("# " + "x".repeat(1021) + "\n").getBytes(StandardCharsets.UTF_8); // 1 KiB a line
        try (var out = Files.newOutputStream(file)) {
            out.write(ROUTE.getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 2048; i++) {
                out.write(comment);
            }
        }
        long size = Files.size(file);
        assertThat(size).isGreaterThan(2L << 20);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.load(file));

        assertThat(e).isNotNull();
        assertThat(e.problems())
                .containsExactly(file + ": the file is " + size + " bytes; the limit is 1048576 (1 MiB)");
    }

    @Test
    void readsAFileJustUnderTheLimit() throws Exception {
        Path file = dir.resolve("ok.yaml");
        String padding = ("# " + "x".repeat(1021) + "\n").repeat(1000);
        Files.writeString(file, ROUTE + padding);
        assertThat(Files.size(file)).isLessThanOrEqualTo(ConfigLoader.MAX_FILE_BYTES);

        assertThat(loader.load(file).routes()).hasSize(1);
    }

    @Test
    void refusesTextOverTheCodePointLimitAsInvalidYaml() {
        // SnakeYAML checks the limit between tokens, so the padding goes before a token, not at the end
        String text = ("# " + "x".repeat(1021) + "\n").repeat(1100) + ROUTE;

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(text, "t.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems())
                .singleElement()
                .asString()
                .startsWith("t.yaml")
                .contains("invalid YAML")
                .contains("exceeds the limit");
    }

    @Test
    void refusesDeepNestingAsInvalidYamlNotAStackOverflow() {
        String text = ROUTE + "defaults: " + "[".repeat(5000) + "]".repeat(5000) + "\n";

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(text, "t.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems())
                .singleElement()
                .asString()
                .startsWith("t.yaml")
                .contains("invalid YAML")
                .contains("Nesting Depth exceeded");
    }
}
