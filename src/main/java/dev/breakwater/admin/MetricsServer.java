package dev.breakwater.admin;

import dev.breakwater.observability.Metrics;
import dev.breakwater.proxy.ErrorResponses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * The metrics-only listener ({@code metrics: {listen: ...}}): {@code GET /metrics} in Prometheus text, without the
 * admin token, and nothing else. Prometheus in a cluster scrapes the pod IP; this lets it do so while the admin
 * listener, which can open breakers and reload the configuration, stays on loopback or behind its token (the
 * split Envoy and Linkerd make between their admin and their stats ports).
 */
public final class MetricsServer extends VerticleBase {
    /** Prometheus's text exposition format, version 0.0.4. */
    private final String host;

    private final int port;
    private final Metrics metrics;
    private HttpServer server;

    /**
     * @param host the interface to bind
     * @param port the port to bind, 0 for any
     * @param metrics the registry to scrape
     */
    public MetricsServer(String host, int port, Metrics metrics) {
        this.host = host;
        this.port = port;
        this.metrics = metrics;
    }

    @Override
    public Future<?> start() {
        server = vertx.createHttpServer().requestHandler(this::handle);
        return Listening.listen(server, host, port, "metrics listener");
    }

    @Override
    public Future<?> stop() {
        return server.close();
    }

    /** The port actually bound. */
    public int actualPort() {
        return server.actualPort();
    }

    private void handle(HttpServerRequest request) {
        if (!"/metrics".equals(request.path())) {
            error(request.response(), 404, "not_found", "The metrics listener serves GET /metrics only");
        } else if (request.method() != HttpMethod.GET) {
            request.response().putHeader("allow", "GET");
            error(request.response(), 405, "method_not_allowed", "The metrics listener serves GET /metrics only");
        } else {
            scrape(request, metrics);
        }
    }

    /** Answers a scrape; the admin listener's {@code /metrics} answers the same way. */
    static void scrape(HttpServerRequest request, Metrics metrics) {
        Metrics.Scrape scrape = metrics.scrape(request.getHeader("accept"));
        request.response().putHeader("content-type", scrape.contentType()).end(scrape.body());
    }

    private static void error(HttpServerResponse response, int status, String code, String message) {
        response.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .end(ErrorResponses.body(code, message));
    }
}
