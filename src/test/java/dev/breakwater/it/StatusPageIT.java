package dev.breakwater.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.breakwater.testing.Http;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin status page rendered by a real browser: Debian's headless Chromium, run as a separate process
 * against the running proxy. Skipped when Chromium is not installed, except on CI (CI set), where it fails.
 *
 * <p>Before the page is opened, the proxy serves a success and a retried 503 ({@code openai}), failures that open
 * a breaker ({@code flaky}), and a request whose unreachable primary falls back ({@code tools}); then its file is
 * reloaded. The dumped DOM must show the live numbers, the breaker's next change, the instance and the decisions.
 */
class StatusPageIT {
    private static final long BROWSER_TIMEOUT_SECONDS = 60;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final String RETRIED_ID = "req-retry-1";

    @RegisterExtension
    static final WireMockExtension upstream = WireMockExtension.newInstance()
            .options(options().dynamicPort().bindAddress("127.0.0.1"))
            .build();

    private static Path chromium;
    private static TestProxy proxy;
    private static Path config;

    @TempDir
    static Path configDir;

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
        config = configDir.resolve("breakwater.yaml");
        Files.writeString(config, routes(upstream.getPort()));
        proxy = TestProxy.startFromFile(config);
        generateTraffic();
    }

    private static String routes(int port) {
        return """
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                routes:
                  - name: openai
                    path-prefix: /openai/
                    upstream: http://127.0.0.1:%1$d
                    provider: openai
                    retry: {max-attempts: 3, wait-duration: 10ms, randomized-wait-factor: 0}
                  - name: flaky
                    path-prefix: /flaky/
                    upstream: http://127.0.0.1:%1$d
                    retry: {max-attempts: 1}
                    circuit-breaker:
                      sliding-window-size: 2
                      minimum-number-of-calls: 2
                      wait-duration-in-open-state: 5m
                  - name: tools
                    path-prefix: /tools/
                    upstream: http://127.0.0.1:9
                    retry: {max-attempts: 2, wait-duration: 10ms, randomized-wait-factor: 0}
                    circuit-breaker: {enabled: false}
                    fallbacks:
                      - name: backup
                        upstream: http://127.0.0.1:%1$d
                """.formatted(port);
    }

    /** A success, a retried 503, a breaker that opens, a fallback, and an applied reload. */
    private static void generateTraffic() throws Exception {
        upstream.stubFor(
                get(urlPathMatching("/openai/v1/models")).willReturn(aResponse().withStatus(200)));
        upstream.stubFor(get(urlPathMatching("/openai/v1/flaky"))
                .inScenario("flaky")
                .whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503))
                .willSetStateTo("healthy"));
        upstream.stubFor(get(urlPathMatching("/openai/v1/flaky"))
                .inScenario("flaky")
                .whenScenarioStateIs("healthy")
                .willReturn(aResponse().withStatus(200)));
        upstream.stubFor(
                get(urlPathMatching("/flaky/.*")).willReturn(aResponse().withStatus(503)));
        upstream.stubFor(
                get(urlPathMatching("/tools/.*")).willReturn(aResponse().withStatus(200)));

        assertThat(Http.get(proxy.uri("/openai/v1/models")).statusCode()).isEqualTo(200);
        assertThat(Http.send(HttpRequest.newBuilder(proxy.uri("/openai/v1/flaky"))
                                .header("x-request-id", RETRIED_ID)
                                .build())
                        .statusCode())
                .isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            assertThat(Http.get(proxy.uri("/flaky/x")).statusCode()).isEqualTo(503);
        }
        assertThat(Http.get(proxy.uri("/tools/x")).statusCode()).isEqualTo(200);

        HttpResponse<String> reload = Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/reload"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
        assertThat(reload.statusCode()).isEqualTo(200);
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void showsEachRoutesLiveNumbersAndWhenItsBreakerChangesNext() throws Exception {
        String routes = table(dumpDom(), "routes");

        String openai = row(routes, "openai");
        assertThat(openai).contains(">openai<", ">/openai/<", ">CLOSED<");
        assertThat(cell(openai, "rate")).isNotEqualTo("0.00").matches("\\d+\\.\\d\\d");
        assertThat(cell(openai, "errors")).isEqualTo("0 %");
        assertThat(cell(openai, "attempts")).isEqualTo("1.50"); // 3 attempts for 2 requests
        assertThat(cell(openai, "p50")).matches("[\\d.]+ m?s");
        assertThat(cell(openai, "p99")).matches("[\\d.]+ m?s");
        assertThat(cell(openai, "next")).startsWith("opens at 50 % failures");

        String flaky = row(routes, "flaky");
        assertThat(cell(flaky, "breaker")).contains(">OPEN<");
        assertThat(cell(flaky, "errors")).isEqualTo("100 %"); // two relayed 503s and one circuit_open
        assertThat(cell(flaky, "next")).matches("half-open in (29\\d|300) s");

        String tools = row(routes, "tools");
        assertThat(cell(tools, "breaker")).contains(">DISABLED<");
        assertThat(cell(tools, "errors")).isEqualTo("0 %");
        assertThat(upstreamRow(routes, "tools", "tools")).contains("(primary)");
        assertThat(cell(upstreamRow(routes, "tools", "tools"), "errors")).isEqualTo("100 %");
        assertThat(cell(upstreamRow(routes, "tools", "backup"), "errors")).isEqualTo("0 %");
        assertThat(cell(upstreamRow(routes, "tools", "backup"), "p99")).matches("[\\d.]+ m?s");
    }

    @Test
    void showsVersionUptimeConfigFileAndTheLastReload() throws Exception {
        String html = dumpDom();

        assertThat(text(html, "version")).isEqualTo(projectVersion());
        assertThat(text(html, "uptime")).matches("\\d+ s|\\d+ m \\d\\d s");
        assertThat(text(html, "config-file"))
                .isEqualTo(config.toAbsolutePath().normalize().toString());
        assertThat(html)
                .containsPattern("id=\"last-reload\"><span class=\"ok\">applied</span> at [\\d:.]+ · "
                        + "configuration reloaded: 3 route\\(s\\)");
    }

    @Test
    void showsTheRetryDecisionsWithReadableResultsAndVisibleRequestIds() throws Exception {
        String decisions = table(dumpDom(), "decisions");

        assertThat(decisions).doesNotContain("No retry decisions yet");
        String retried = decisions.substring(decisions.indexOf("<tr data-request-id=\"" + RETRIED_ID + "\""));
        retried = retried.substring(0, retried.indexOf("</tr>"));
        assertThat(retried).contains(">" + RETRIED_ID + "</td>", ">openai<", ">503<", ">retry<", ">status_503<");
        assertThat(decisions).contains(">connect_refused<", ">attempts_exhausted<");
        // A generated id is cut to 8 characters, the whole id in the cell's title.
        assertThat(decisions).containsPattern("title=\"([0-9a-f]{8})-[0-9a-f-]{27}\">\\1…</td>");
    }

    @Test
    void statusEndpointAnswersWithTheTokenOnly() throws Exception {
        Path file = temp.resolve("with-token.yaml");
        Files.writeString(file, "admin-token: s3cret\n" + routes(upstream.getPort()));
        try (TestProxy guarded = TestProxy.startFromFile(file)) {
            assertThat(Http.get(guarded.adminUri("/admin/status")).statusCode()).isEqualTo(401);

            JsonObject before = status(guarded);
            assertThat(before.getString("version")).isEqualTo(projectVersion());
            assertThat(before.getString("config-file"))
                    .isEqualTo(file.toAbsolutePath().normalize().toString());
            assertThat(before.getLong("uptime-seconds")).isBetween(0L, 60L);
            assertThat(Instant.parse(before.getString("started")))
                    .isBefore(Instant.now().plusSeconds(1));
            assertThat(before.getValue("last-reload")).isNull();

            Files.writeString(file, "admin-token: s3cret\nroutes: []\nbogus: 1\n");
            HttpResponse<String> reload = Http.send(HttpRequest.newBuilder(guarded.adminUri("/admin/reload"))
                    .header("authorization", "Bearer s3cret")
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(reload.statusCode()).isEqualTo(422);

            JsonObject last = status(guarded).getJsonObject("last-reload");
            assertThat(last.getBoolean("applied")).isFalse();
            assertThat(last.getString("summary")).contains("is invalid");
            assertThat(last.getJsonArray("problems")).isNotEmpty();
            assertThat(Instant.parse(last.getString("time")))
                    .isBefore(Instant.now().plusSeconds(1));
        }
    }

    private static JsonObject status(TestProxy proxy) throws Exception {
        HttpResponse<String> response = Http.send(HttpRequest.newBuilder(proxy.adminUri("/admin/status"))
                .header("authorization", "Bearer s3cret")
                .build());
        assertThat(response.statusCode()).isEqualTo(200);
        return new JsonObject(response.body());
    }

    private static String projectVersion() throws IOException {
        try (InputStream in = StatusPageIT.class.getResourceAsStream("/breakwater-version.properties")) {
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        }
    }

    private String dumpDom() throws Exception {
        Path dom = temp.resolve("dom.html");
        runChromium(dom, "--dump-dom", proxy.adminUri("/").toString());
        return Files.readString(dom, StandardCharsets.UTF_8);
    }

    @Test
    void takesAScreenshot() throws Exception {
        Path png = Path.of("target", "status-page.png").toAbsolutePath();
        Files.deleteIfExists(png);
        runChromium(
                temp.resolve("screenshot.log"),
                "--screenshot=" + png,
                "--window-size=1600,1000",
                proxy.adminUri("/").toString());
        System.out.println("Status page screenshot: " + png);

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
        return between(table, "<tr data-route=\"" + name + "\">", "</tr>");
    }

    /** The markup of the row for upstream {@code upstream} of route {@code name}. */
    private static String upstreamRow(String table, String name, String upstream) {
        return between(table, "<tr data-route=\"" + name + "\" data-upstream=\"" + upstream + "\"", "</tr>");
    }

    /** The markup inside the cell of column {@code column} of a row. */
    private static String cell(String row, String column) {
        String cell = between(row, "data-col=\"" + column + "\"", "</td>");
        return cell.substring(cell.indexOf('>') + 1);
    }

    /** The text of the element with {@code id} (which holds text only). */
    private static String text(String html, String id) {
        String element = between(html, "id=\"" + id + "\"", "</");
        return element.substring(element.indexOf('>') + 1);
    }

    private static String between(String html, String start, String end) {
        int from = html.indexOf(start);
        assertThat(from).as("%s in:%n%s", start, html).isNotNegative();
        return html.substring(from, html.indexOf(end, from));
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
