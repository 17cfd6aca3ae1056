package dev.breakwater.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testing.Http;
import dev.breakwater.testing.Routes;
import dev.breakwater.testing.TestProxy;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An https upstream whose certificate comes from a private CA, trusted through the route's {@code ca-file}. */
class TlsUpstreamIT {
    private static final Path TLS = Path.of("src/test/resources/tls").toAbsolutePath();
    private static Vertx vertx;
    private static HttpServer upstream;
    private static final AtomicReference<String> sniSeen = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer(new HttpServerOptions()
                        .setSsl(true)
                        .setSni(true)
                        .setKeyCertOptions(new PemKeyCertOptions()
                                .setCertPath(TLS.resolve("server.pem").toString())
                                .setKeyPath(TLS.resolve("server.key").toString())))
                .requestHandler(request -> {
                    sniSeen.set(request.connection().indicatedServerName());
                    request.response().end("secure " + request.path());
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void reachesAnHttpsUpstreamSignedByThePrivateCa() throws Exception {
        try (TestProxy proxy = TestProxy.start(Routes.oneRoute(
                "secure",
                "/s/",
                "https://localhost:" + upstream.actualPort(),
                "    ca-file: " + TLS.resolve("ca.pem")))) {
            HttpResponse<String> response = Http.get(proxy.uri("/s/hello"));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("secure /s/hello");
            assertThat(sniSeen.get()).isEqualTo("localhost");
        }
    }

    @Test
    void refusesAnUpstreamCertificateItDoesNotTrust() throws Exception {
        try (TestProxy proxy =
                TestProxy.start(Routes.oneRoute("untrusted", "/s/", "https://localhost:" + upstream.actualPort()))) {
            HttpResponse<String> response = Http.get(proxy.uri("/s/hello"));

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).contains("\"code\":\"upstream_unreachable\"");
        }
    }
}
