package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar, run as a user would run it. */
class JarIT {
    private static final Path JAR = Path.of("target/breakwater.jar");

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("java", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(
                process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void printsHelpAndVersion() throws Exception {
        Run help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--config").contains("--check").contains("BREAKWATER_CONFIG");

        Run version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).matches("breakwater \\d+\\.\\d+\\.\\d+.*\\s*");
    }

    @Test
    void checksTheShippedConfig() throws Exception {
        Run check = run("--check", "--config", "config/breakwater.yaml");

        assertThat(check.exit()).isZero();
        assertThat(check.out()).contains("is valid");
    }

    @Test
    void rejectsABadConfigWithEveryProblemAndOpensNoPort() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, """
                listen: 127.0.0.1:0
                routes:
                  - name: openai
                    path-prefix: /v1/
                    upstream: ftp://api.openai.com
                    retry: {max-attempts: 0, wait-duration: soon}
                """);

        Run run = run("--config", config.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err())
                .contains("routes[openai].retry.max-attempts: 0 (expected: >= 1)")
                .contains("routes[openai].upstream")
                .contains("routes[openai].retry.wait-duration");
        assertThat(run.out()).doesNotContain("listening");
    }

    @Test
    void rejectsAnUnknownOption() throws Exception {
        assertThat(run("--frobnicate").exit()).isEqualTo(2);
    }

    @Test
    void startsAndTurnsReady() throws Exception {
        Path config = dir.resolve("ok.yaml");
        Files.writeString(config, """
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                routes:
                  - name: tool
                    path-prefix: /tools/
                    upstream: http://127.0.0.1:9
                    retry: {max-attempts: 1}
                """);
        Process process = new ProcessBuilder("java", "-jar", JAR.toString(), "--config", config.toString())
                .redirectErrorStream(true)
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            Matcher ports = awaitListening(out);
            int proxyPort = Integer.parseInt(ports.group(1));
            int adminPort = Integer.parseInt(ports.group(2));

            HttpResponse<String> ready = Http.get(URI.create("http://127.0.0.1:" + adminPort + "/readyz"));
            assertThat(ready.statusCode()).isEqualTo(200);
            HttpResponse<String> health = Http.get(URI.create("http://127.0.0.1:" + adminPort + "/healthz"));
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> proxied = Http.get(URI.create("http://127.0.0.1:" + proxyPort + "/tools/x"));
            assertThat(proxied.statusCode()).isEqualTo(502);
            assertThat(proxied.body()).contains("upstream_unreachable");
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void drainsAStreamOnSigtermThenExitsZero() throws Exception {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            io.vertx.core.http.HttpServer upstream = vertx.createHttpServer()
                    .requestHandler(request -> {
                        io.vertx.core.http.HttpServerResponse response =
                                request.response().setChunked(true).putHeader("content-type", "text/event-stream");
                        int[] sent = {0};
                        vertx.setPeriodic(200, id -> {
                            if (++sent[0] <= 10) {
                                response.write("data: " + sent[0] + "\n\n");
                            } else {
                                vertx.cancelTimer(id);
                                response.end("data: [DONE]\n\n");
                            }
                        });
                    })
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            Path config = dir.resolve("sse.yaml");
            Files.writeString(config, """
                    listen: 127.0.0.1:0
                    admin: 127.0.0.1:0
                    shutdown-grace: 10s
                    routes:
                      - name: stream
                        path-prefix: /
                        upstream: http://127.0.0.1:%d
                    """.formatted(upstream.actualPort()));
            Process process = new ProcessBuilder("java", "-jar", JAR.toString(), "--config", config.toString())
                    .redirectErrorStream(true)
                    .start();
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            Matcher ports = awaitListening(out);
            Thread drain = new Thread(() -> {
                try {
                    while (out.readLine() != null) {
                        // keep the pipe empty so the process never blocks on its stdout
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            drain.start();
            int proxyPort = Integer.parseInt(ports.group(1));
            URI admin = URI.create("http://127.0.0.1:" + ports.group(2) + "/readyz");

            HttpResponse<java.util.stream.Stream<String>> stream = Http.client()
                    .send(
                            java.net.http.HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + proxyPort + "/events"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofLines());
            java.util.Iterator<String> lines = stream.body().iterator();
            assertThat(lines.next()).isEqualTo("data: 1");

            process.destroy(); // SIGTERM
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> Http.get(admin).statusCode() == 503);

            List<String> rest = new ArrayList<>();
            lines.forEachRemaining(rest::add);
            assertThat(rest).contains("data: 10", "data: [DONE]");
            boolean exited = process.waitFor(20, TimeUnit.SECONDS);
            if (!exited) {
                process.destroyForcibly();
            }
            assertThat(exited).isTrue();
            assertThat(process.exitValue()).isZero();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static Matcher awaitListening(BufferedReader out) throws IOException {
        Pattern listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) \\(admin 127\\.0\\.0\\.1:(\\d+)\\)");
        String line;
        while ((line = out.readLine()) != null) {
            Matcher matcher = listening.matcher(line);
            if (matcher.find()) {
                return matcher;
            }
        }
        throw new AssertionError("the jar never said it was listening");
    }
}
