package dev.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Samples;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Whatever the file holds, the loader answers with a configuration or a {@link ConfigException} whose every
 * problem starts with the source name: never another exception, never a bare message.
 */
class ConfigLoaderPropertiesTest {
    private static final String SOURCE = "prop.yaml";
    /** Real keys at every level, so the structured documents get past the key tables and into the readers. */
    private static final List<String> KEYS = List.of(
            "listen",
            "admin",
            "admin-token",
            "metrics",
            "shutdown-grace",
            "logging",
            "limits",
            "defaults",
            "routes",
            "name",
            "path-prefix",
            "upstream",
            "strip-prefix",
            "provider",
            "headers",
            "ca-file",
            "timeouts",
            "retry",
            "retry-budget",
            "circuit-breaker",
            "connect",
            "response",
            "idle",
            "total",
            "max-attempts",
            "wait-duration",
            "retry-on-status",
            "retry-methods",
            "max-replay-body",
            "enabled",
            "failure-rate-threshold",
            "sliding-window-size",
            "minimum-number-of-calls",
            "record-status",
            "level",
            "format",
            "max-connections",
            "max-buffered-bodies",
            "header-read-timeout",
            "percent",
            "unknown-key");

    private static final List<Object> SCALARS = List.of(
            "",
            "0",
            "-1",
            "1",
            "3",
            "100",
            "1e400",
            "2147483648",
            "99999999999999999999",
            "0.5",
            "-0.0",
            "NaN",
            "auto",
            "250ms",
            "30s",
            "-1s",
            "10",
            "8MiB",
            "1KiB",
            "-1MiB",
            "http://a",
            "https://u:p@h:99999",
            "ftp://x",
            "/",
            "/v1/",
            "127.0.0.1:0",
            "[::1]:9901",
            "[::1",
            "json",
            "text",
            "INFO",
            "openai",
            "generic",
            "COUNT_BASED",
            "true",
            "on",
            "${UNSET}",
            "${X:-3}",
            "${",
            "$${x}",
            "\u0000",
            "\t",
            "\r\n",
            "é",
            "\uD83D\uDE00",
            0,
            -5,
            3.5,
            true,
            false);

    private final ConfigLoader loader = new ConfigLoader(Map.of("SET", "value"));

    private void loadsOrReportsProblems(String text) {
        try {
            BreakwaterConfig config = loader.parse(text, SOURCE);
            assertThat(config.routes()).isNotEmpty();
        } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith(SOURCE));
        }
    }

    @Test
    void arbitraryTextYieldsAConfigOrProblems() {
        Samples.check(1, 1000, random -> Samples.anyText(random, 120), this::loadsOrReportsProblems);
    }

    @Test
    void yamlLookingTextYieldsAConfigOrProblems() {
        Samples.check(
                2,
                500,
                random -> Samples.textOf(random, "abc-:{}[],'\"&*!|>#%@`?$ \n\t0123456789", 80),
                this::loadsOrReportsProblems);
    }

    /** Random maps, lists and scalars up to 4 deep, dumped by SnakeYAML so they are well-formed YAML. */
    @Test
    void arbitraryStructuredYamlYieldsAConfigOrProblems() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        Yaml yaml = new Yaml(options);
        Samples.check(3, 1000, random -> yaml.dump(value(random, 0, true)), this::loadsOrReportsProblems);
    }

    private static Object value(Random random, int depth, boolean top) {
        int kind = top ? 0 : random.nextInt(depth >= 4 ? 2 : 5);
        return switch (kind) {
            case 0, 3 -> {
                Map<String, Object> map = new LinkedHashMap<>();
                int size = random.nextInt(top ? 6 : 4);
                for (int i = 0; i < size; i++) {
                    map.put(KEYS.get(random.nextInt(KEYS.size())), value(random, depth + 1, false));
                }
                yield map;
            }
            case 1 -> SCALARS.get(random.nextInt(SCALARS.size()));
            case 2 -> {
                List<Object> list = new ArrayList<>();
                int size = random.nextInt(3);
                for (int i = 0; i < size; i++) {
                    list.add(value(random, depth + 1, false));
                }
                yield list;
            }
            default -> null;
        };
    }
}
