package dev.breakwater.proxy;

import dev.breakwater.config.UpstreamTarget;
import dev.breakwater.observability.AccessLog;
import dev.breakwater.observability.RouteMetrics;
import dev.breakwater.resilience.Clearance;
import dev.breakwater.resilience.Credentials;
import dev.breakwater.resilience.FailureKind;
import dev.breakwater.resilience.ProviderRules;
import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.StopReason;
import dev.breakwater.time.Scheduler.Cancellable;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.vertx.core.AsyncResult;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;

/**
 * A WebSocket upgrade on a route. The handshake is an attempt like any request's: the route's admission clears it
 * (breaker, rate-limit gate), a connect failure, a reset, a timeout or a retryable status (429, 5xx) is retried
 * with the route's policy, since nothing was exchanged yet, and the breaker learns every outcome. The client's
 * upgrade is accepted only once the upstream's is, so a refused handshake reaches the client as an ordinary HTTP
 * answer: the upstream's status, headers and body, or Breakwater's own error. Once both sides are open a
 * {@link WebSocketRelay} carries the frames, and nothing is retried any more.
 *
 * <p>The request stays paused until then: Vert.x reads it to its end when it accepts the upgrade.
 */
final class WebSocketBridge {
    /** Time Vert.x itself allows a handshake past the route's {@code response} timeout, as a backstop. */
    private static final long HANDSHAKE_BACKSTOP_MILLIS = 1_000;
    /** The Realtime subprotocol that carries a browser's API key; dropped for an upstream with its own. */
    private static final String KEY_SUBPROTOCOL = "openai-insecure-api-key.";
    /** Headers of a refused handshake Breakwater sets itself when relaying it. */
    private static final HeaderNames SET_ON_RELAY = HeaderNames.of("content-length");

    private final Exchange exchange;
    private final GateHold gateHold;
    private Cancellable handshakeTimer = Cancellable.NONE;
    /** Handshakes sent so far; {@link #awaited} is the number of the one whose outcome counts, 0 for none. */
    private int handshakes;

    private int awaited;

    private WebSocketRelay relay;

    WebSocketBridge(Exchange exchange) {
        this.exchange = exchange;
        this.gateHold = new GateHold(exchange);
    }

    /** True for an HTTP/1.1 {@code GET} that asks for {@code Upgrade: websocket} with {@code Connection: upgrade}. */
    static boolean isUpgrade(HttpServerRequest request) {
        return request.method() == HttpMethod.GET
                && request.version() == HttpVersion.HTTP_1_1
                && hasToken(request.headers().getAll("upgrade"), "websocket")
                && hasToken(request.headers().getAll("connection"), "upgrade");
    }

    private static boolean hasToken(List<String> values, String token) {
        for (String value : values) {
            for (String part : value.split(",")) {
                if (part.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Starts the first handshake; the request's total deadline bounds the handshakes and the open session. */
    void start() {
        HttpServerRequest request = exchange.request();
        request.pause();
        HttpServerResponse response = exchange.response();
        // Once open, the relay watches both sockets; until then the client's going away ends the exchange.
        response.closeHandler(v -> onClientGone());
        response.exceptionHandler(t -> onClientGone());
        long total = exchange.route().spec().timeouts().total().toMillis();
        if (total > 0) {
            exchange.deadlineArmed(exchange.runtime().scheduler().schedule(total, this::onDeadline));
        }
        exchange.bodyRead(new RequestBody.Buffered(Buffer.buffer()));
        attempt();
    }

    private void attempt() {
        if (!exchange.isDone()) {
            onClearance(exchange.admission().clearAttempt(this::onClearance));
        }
    }

    private void onClearance(Clearance clearance) {
        if (exchange.isDone()) {
            return;
        }
        gateHold.ended();
        if (clearance instanceof Clearance.Refuse refuse) {
            ProxyError error = ProxyError.refused(refuse.refusal(), exchange.route());
            exchange.trace().refused(error.code());
            answer(error, "refused");
        } else if (clearance instanceof Clearance.Wait wait) {
            gateHold.started(wait);
        } else {
            connect();
        }
    }

    private void connect() {
        UpstreamTarget target = exchange.admission().upstream().target();
        exchange.attemptStarted(null); // the WebSocket client makes the attempt: nothing to cancel but the timer
        int number = ++handshakes;
        awaited = number;
        long responseMillis = exchange.route().spec().timeouts().response().toMillis();
        if (responseMillis > 0) {
            handshakeTimer = exchange.runtime().scheduler().schedule(responseMillis, () -> onTimeout(number));
        }
        exchange.runtime()
                .clients()
                .webSocketClientFor(exchange.route().spec(), target)
                .connect(connectOptions(target, responseMillis))
                .onComplete(ar -> onHandshake(number, ar));
    }

    private WebSocketConnectOptions connectOptions(UpstreamTarget target, long responseMillis) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        HeaderPolicy.writeUpstreamHandshake(exchange.request(), target, exchange.requestId(), headers);
        if (exchange.trace().enabled()) {
            exchange.trace().injectAttempt(headers::set);
        }
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setHost(target.upstream().host())
                .setPort(target.upstream().port())
                .setSsl(target.upstream().tls())
                .setURI(exchange.route()
                        .upstreamPath(
                                target.upstream(),
                                exchange.target().path(),
                                exchange.target().query()))
                // An Origin goes up only when the client sent one (it is among the copied headers).
                .setAllowOriginHeader(false)
                .setHeaders(headers);
        if (responseMillis > 0) {
            options.setTimeout(responseMillis + HANDSHAKE_BACKSTOP_MILLIS);
        }
        List<String> subProtocols = subProtocols(target);
        if (!subProtocols.isEmpty()) {
            options.setSubProtocols(subProtocols);
        }
        return options;
    }

    /**
     * The subprotocols the client asked for, in its order. An upstream with a credential of its own never receives
     * the client's, not even the API key a browser puts in a Realtime subprotocol.
     */
    private List<String> subProtocols(UpstreamTarget target) {
        boolean ownCredential = Credentials.setByUpstream(target);
        List<String> protocols = new ArrayList<>();
        for (String value : exchange.request().headers().getAll("sec-websocket-protocol")) {
            for (String part : value.split(",")) {
                String protocol = part.trim();
                if (!protocol.isEmpty() && !(ownCredential && protocol.startsWith(KEY_SUBPROTOCOL))) {
                    protocols.add(protocol);
                }
            }
        }
        return protocols;
    }

    private void onTimeout(int number) {
        if (awaited == number && !exchange.isDone()) {
            awaited = 0;
            onFailure(FailureKind.RESPONSE_TIMEOUT, null);
        }
    }

    private void onHandshake(int number, AsyncResult<WebSocket> ar) {
        if (ar.succeeded()) {
            // The client resumed the socket as it completed the future; its queued frames are delivered in a later
            // task. Paused again here, they wait until the client's side is open and the relay's handlers are set.
            ar.result().pause();
        }
        if (awaited != number || exchange.isDone()) {
            // Timed out meanwhile, or the client left: an upstream socket that opened late is closed unused.
            if (ar.succeeded()) {
                ar.result().close();
            }
            return;
        }
        awaited = 0;
        handshakeTimer.cancel();
        if (ar.succeeded()) {
            onOpened(ar.result());
        } else if (ar.cause() instanceof UpgradeRejectedException rejected) {
            onRejected(rejected);
        } else {
            onFailure(kindOf(ar.cause()), ar.cause());
        }
    }

    /** Connect-phase failures prove the upstream never saw the handshake; a broken 101 is a protocol error. */
    private static FailureKind kindOf(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof ConnectException // Netty's connect timeout is one too
                    || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException
                    || t instanceof SSLHandshakeException) {
                return FailureKind.CONNECT_FAILURE;
            }
            if (t instanceof WebSocketHandshakeException) {
                return FailureKind.PROTOCOL_ERROR;
            }
        }
        return FailureKind.RESET_BEFORE_HEADERS;
    }

    private void onOpened(WebSocket upstream) {
        exchange.headReceived();
        exchange.admission().onHeaders(101);
        recordAttempt(RouteMetrics.statusClass(101));
        exchange.trace().attemptAnswered(101);
        RetryDecision decision = exchange.admission()
                .onResponse(new UpstreamHead(101, upstream.headers(), ProviderRules.ErrorFields.NONE));
        exchange.decided(decision, "101", false);
        exchange.commitUpgrade();
        HttpServerResponse response = exchange.response();
        if (upstream.subProtocol() != null) {
            // Vert.x passes the response's headers into its handshake: the client is told the upstream's choice.
            response.headers().set("sec-websocket-protocol", upstream.subProtocol());
        }
        exchange.answeredWith(upstream.headers());
        keepUpstreamRequestId(upstream.headers(), response.headers());
        exchange.responseHeadSent(101);
        exchange.request().toWebSocket().onComplete(ar -> {
            if (ar.failed()) {
                upstream.close(WebSocketRelay.GOING_AWAY, WebSocketRelay.CLIENT_GONE_REASON);
                exchange.finish(0, AccessLog.Outcome.CLIENT_CLOSED, "client_closed");
                return;
            }
            relay = new WebSocketRelay(exchange, ar.result(), upstream);
            relay.start();
        });
    }

    private void onRejected(UpgradeRejectedException rejected) {
        int status = rejected.getStatus();
        exchange.headReceived();
        exchange.answeredWith(rejected.getHeaders());
        exchange.admission().onHeaders(status);
        recordAttempt(RouteMetrics.attemptOutcome(status));
        exchange.trace().attemptAnswered(status);
        ProviderRules provider = exchange.admission().upstream().provider();
        Buffer body = rejected.getBody();
        ProviderRules.ErrorFields error = body != null && provider.wantsErrorBody(status)
                ? provider.errorFields(body.getBytes())
                : ProviderRules.ErrorFields.NONE;
        RetryDecision decision =
                exchange.admission().onResponse(new UpstreamHead(status, rejected.getHeaders(), error));
        exchange.decided(decision, Integer.toString(status), status >= 400);
        if (decision instanceof RetryDecision.Retry retry) {
            scheduleRetry(retry);
            return;
        }
        // The upstream's own answer goes to the client, as for any request that retries did not help.
        HttpServerResponse response = exchange.response();
        response.setStatusCode(status);
        HopByHopHeaders.copy(rejected.getHeaders(), response.headers(), SET_ON_RELAY);
        keepUpstreamRequestId(rejected.getHeaders(), response.headers());
        exchange.responseHeadSent(status);
        metrics().webSocketSession(upstreamLabel(), "failed");
        exchange.finishRelayed(status, false);
        response.end(body == null ? Buffer.buffer() : body);
        exchange.request().resume();
    }

    private void onFailure(FailureKind kind, Throwable cause) {
        handshakeTimer.cancel();
        AttemptFailedException failure = new AttemptFailedException(kind, cause);
        recordAttempt(kind.label());
        exchange.trace().attemptFailed(failure.causeType());
        RetryDecision decision = exchange.admission().onFailure(kind, failure);
        exchange.decided(decision, failure.causeType(), true, failure.causeMessage());
        if (decision instanceof RetryDecision.Retry retry) {
            scheduleRetry(retry);
        } else if (((RetryDecision.Stop) decision).reason() == StopReason.CIRCUIT_OPEN) {
            answer(ProxyError.refused(exchange.admission().circuitOpenRefusal(), exchange.route()), "refused");
        } else {
            answer(ProxyError.afterFailure(failure, exchange.route(), exchange.attempts()), "failed");
        }
    }

    private void scheduleRetry(RetryDecision.Retry retry) {
        metrics().retryWait(retry.waitSource(), retry.delayMillis());
        exchange.retryScheduled(exchange.runtime().scheduler().schedule(retry.delayMillis(), this::attempt));
    }

    /** Answers with Breakwater's own error; the paused upgrade request is then read to its end. */
    private void answer(ProxyError error, String outcome) {
        metrics().webSocketSession(upstreamLabel(), outcome);
        exchange.respond(error);
        exchange.request().resume();
    }

    /** The client closed its connection before the upgrade was accepted. */
    private void onClientGone() {
        if (!exchange.isCommitted()) {
            handshakeTimer.cancel();
            awaited = 0;
            exchange.onClientGone();
        }
    }

    /** The route's total timeout passed: during the handshakes the client gets a 504, once open both sides close. */
    private void onDeadline() {
        if (exchange.isDone()) {
            return;
        }
        if (exchange.isCommitted()) {
            if (relay != null) {
                relay.onDeadline();
            }
            return;
        }
        handshakeTimer.cancel();
        awaited = 0;
        exchange.cancelPendingWork();
        answer(ProxyError.deadline(exchange.route(), exchange.attempts()), "failed");
    }

    /** The upstream's own request id, when it sent one, is the client's {@code x-request-id} (as on any route). */
    private static void keepUpstreamRequestId(MultiMap upstream, MultiMap client) {
        String upstreamId = upstream.get("x-request-id");
        if (upstreamId != null) {
            client.set("x-request-id", upstreamId);
        }
    }

    private void recordAttempt(String outcome) {
        metrics().attempt(exchange.upstreamName(), exchange.admission().model(), outcome);
    }

    private String upstreamLabel() {
        String name = exchange.upstreamName();
        return name == null ? "none" : name;
    }

    private RouteMetrics metrics() {
        return exchange.route().metrics();
    }
}
