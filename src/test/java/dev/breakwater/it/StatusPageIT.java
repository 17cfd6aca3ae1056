package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.TestProxy;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin status page rendered by a real browser: Debian's headless Chromium, run as a separate process
 * against the running proxy. Skipped when Chromium is not installed, except on CI (CI set), where it fails.
 */
class StatusPageIT {
    private static final long BROWSER_TIMEOUT_SECONDS = 60;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static Path chromium;
    private static TestProxy proxy;

    @TempDir
    Path temp;

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> found = findChromium();
        if (found.isEmpty()) {
            String message = "Chromium not found (/usr/bin/chromium or chromium-browser on PATH)";
            if (System.getenv("CI") != null) {
                Assertions.fail(message + "; CI must install it (apt-get install chromium)");
            }
            Assumptions.abort(message);
        }
        chromium = found.get();
        proxy = TestProxy.start("""
                routes:
                  - name: openai
                    path-prefix: /openai/
                    upstream: http://127.0.0.1:9
                    provider: openai
                    retry: {max-attempts: 2, wait-duration: 10ms, randomized-wait-factor: 0}
                  - name: policy-tool
                    path-prefix: /policy/
                    upstream: http://127.0.0.1:9
                    circuit-breaker: {enabled: false}
                """);
        // Nothing listens on port 9: one failed request leaves retry decisions for the page to show.
        Http.get(proxy.uri("/openai/v1/models"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void rendersEveryRouteWithItsBreakerStateAndTheRetryDecisions() throws Exception {
        Path dom = temp.resolve("dom.html");
        runChromium(dom, "--dump-dom", proxy.adminUri("/").toString());

        String html = Files.readString(dom, StandardCharsets.UTF_8);
        String routes = table(html, "routes");
        assertThat(routes).contains("data-route=\"openai\"", "data-route=\"policy-tool\"");
        assertThat(row(routes, "openai")).contains(">openai<", ">/openai/<", ">CLOSED<");
        assertThat(row(routes, "policy-tool")).contains(">policy-tool<", ">/policy/<", ">DISABLED<");
        assertThat(table(html, "decisions")).contains(">openai<").doesNotContain("No retry decisions yet");
    }

    @Test
    void takesAScreenshot() throws Exception {
        Path png = Path.of("target", "status-page.png").toAbsolutePath();
        Files.deleteIfExists(png);
        runChromium(
                temp.resolve("screenshot.log"),
                "--screenshot=" + png,
                "--window-size=1280,800",
                proxy.adminUri("/").toString());

        assertThat(png).exists();
        try (InputStream in = Files.newInputStream(png)) {
            assertThat(in.readNBytes(PNG_SIGNATURE.length)).isEqualTo(PNG_SIGNATURE);
        }
        assertThat(Files.size(png)).isGreaterThan(8 * 1024);
    }

    /** Runs headless Chromium with a fresh profile, standard output to {@code stdout}; bounded and cleaned up. */
    private void runChromium(Path stdout, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(temp, "chromium-profile");
        List<String> command = new ArrayList<>(List.of(
                chromium.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--virtual-time-budget=5000"));
        command.addAll(List.of(args));
        Path stderr = temp.resolve("chromium-stderr.log");
        Process process = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            boolean exited = process.waitFor(BROWSER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(exited)
                    .as("Chromium finished within %d s; stderr:%n%s", BROWSER_TIMEOUT_SECONDS, tail(stderr))
                    .isTrue();
            assertThat(process.exitValue())
                    .as("Chromium exit code; stderr:%n%s", tail(stderr))
                    .isZero();
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Optional<Path> findChromium() {
        Path debian = Path.of("/usr/bin/chromium");
        if (Files.isExecutable(debian)) {
            return Optional.of(debian);
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "chromium-browser"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The markup of the table with {@code id}, from the dumped DOM. */
    private static String table(String html, String id) {
        int start = html.indexOf("<table id=\"" + id + "\"");
        assertThat(start).as("table #%s in the DOM:%n%s", id, html).isNotNegative();
        int end = html.indexOf("</table>", start);
        return html.substring(start, end);
    }

    /** The markup of the row for route {@code name}. */
    private static String row(String table, String name) {
        int start = table.indexOf("<tr data-route=\"" + name + "\"");
        assertThat(start).as("row of %s in:%n%s", name, table).isNotNegative();
        return table.substring(start, table.indexOf("</tr>", start));
    }

    private static String tail(Path file) {
        try {
            String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
