package dev.breakwater.proxy;

import dev.breakwater.config.IdempotencySpec;
import dev.breakwater.resilience.Credentials;
import dev.breakwater.resilience.IdempotencyStore;
import dev.breakwater.resilience.StoredResponse;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The I/O of the idempotency store (the decisions are {@link IdempotencyStore}'s): before the first attempt, a
 * request with an {@code Idempotency-Key} on a route that keeps keys is claimed; a duplicate is answered here,
 * with the first request's stored response ({@code x-breakwater-replayed: true}), 409 while the first is in flight
 * (or, with {@code wait-for-first}, once it ended), 409 when its response was not kept, or 422 for a key reused
 * with another body. The first request's response is captured as it is relayed ({@link Capture}) and stored when
 * the exchange finishes.
 */
final class IdempotentRequests {
    /** Headers of the first response that belong to its exchange only, never to a replay. */
    private static final HeaderNames PER_EXCHANGE = HeaderNames.of(
            "x-request-id",
            HeaderPolicy.BREAKWATER_REQUEST_ID,
            "x-breakwater-attempts",
            "x-breakwater-upstream",
            "x-breakwater-replayed",
            "content-length",
            "transfer-encoding",
            "set-cookie");

    /** The {@code Retry-After} of a duplicate refused while the first runs. */
    private static final long IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

    private IdempotentRequests() {}

    /**
     * Claims the request's key, when it has one and the route keeps keys. True when the request was answered here
     * (or waits for the first with its key) and must not go upstream; false when it goes on to {@code proceed}.
     */
    static boolean intercept(Exchange exchange, Runnable proceed) {
        String idempotencyKey = exchange.request().getHeader("idempotency-key");
        IdempotencySpec spec = exchange.route().spec().idempotency();
        if (idempotencyKey == null
                || exchange.route().guard().idempotency().isEmpty()
                || !(exchange.body() instanceof RequestBody.Buffered buffered)) {
            return false;
        }
        String key = IdempotencyStore.key(
                clientCredential(exchange),
                exchange.route().name(),
                exchange.request().method().name(),
                exchange.target().path(),
                idempotencyKey);
        long expectedMillis =
                Math.max(1_000, exchange.route().spec().timeouts().total().toMillis());
        return exchange.admission()
                .claimKey(
                        key,
                        IdempotencyStore.bodyHash(buffered.bytes().getBytes()),
                        spec.ttl().toMillis(),
                        expectedMillis,
                        claim -> {
                            if (!exchange.isDone() && !answer(exchange, claim, spec, proceed)) {
                                proceed.run();
                            }
                        });
    }

    private static boolean answer(
            Exchange exchange, IdempotencyStore.Claim claim, IdempotencySpec spec, Runnable proceed) {
        if (claim instanceof IdempotencyStore.First) {
            exchange.captureResponse(new Capture(spec.maxStoredBody()));
            return false;
        }
        if (claim instanceof IdempotencyStore.Replay replay) {
            replay(exchange, replay.response());
        } else if (claim instanceof IdempotencyStore.Mismatch) {
            exchange.respond(ProxyError.gaveUp(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used for a request with a different body; use a new key for a "
                            + "new request"));
        } else if (claim instanceof IdempotencyStore.NotStored notStored) {
            exchange.respond(ProxyError.gaveUp(
                    409,
                    "idempotency_response_not_stored",
                    "A request with this Idempotency-Key already reached the upstream, but its response cannot be "
                            + "replayed: " + notStored.reason() + ". It was not sent again"));
        } else {
            IdempotencyStore.InFlight inFlight = (IdempotencyStore.InFlight) claim;
            if (spec.waitForFirst() && inFlight.ticket() == null) {
                // The first is on another instance of the fleet: ask again shortly (a timer, never a sleep).
                exchange.runtime().scheduler().schedule(Math.min(250, inFlight.retryAfterSeconds() * 1000), () -> {
                    if (!exchange.isDone() && !intercept(exchange, proceed)) {
                        proceed.run();
                    }
                });
                return true;
            }
            if (spec.waitForFirst()) {
                Context context = Vertx.currentContext();
                inFlight.ticket()
                        .whenDone(outcome -> context.runOnContext(v -> {
                            if (exchange.isDone()) {
                                return;
                            }
                            // Released (the first failed in a way its own retry may fix): this one goes upstream
                            // itself.
                            if (outcome == null
                                    ? !intercept(exchange, proceed)
                                    : !answer(exchange, outcome, spec, proceed)) {
                                proceed.run();
                            }
                        }));
                return true;
            }
            exchange.respond(new ProxyError(
                    409,
                    "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still in flight; it was not sent again. Retry after it "
                            + "finished to get its response",
                    // Soon: the first may take the route's whole total timeout, but usually finishes in seconds.
                    Math.min(inFlight.retryAfterSeconds(), IN_FLIGHT_RETRY_AFTER_SECONDS)));
        }
        return true;
    }

    private static String outcomeLabel(IdempotencyStore.Claim claim) {
        if (claim instanceof IdempotencyStore.First) {
            return "first";
        }
        if (claim instanceof IdempotencyStore.Replay) {
            return "replayed";
        }
        if (claim instanceof IdempotencyStore.Mismatch) {
            return "reused";
        }
        return claim instanceof IdempotencyStore.NotStored ? "not_stored" : "in_flight";
    }

    /** The credential the client sent, which scopes its keys (its fingerprint only is kept). */
    private static String clientCredential(Exchange exchange) {
        for (String name : Credentials.HEADERS) {
            String value = exchange.request().getHeader(name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static void replay(Exchange exchange, StoredResponse stored) {
        HttpServerResponse response = exchange.response();
        response.setStatusCode(stored.status());
        for (Map.Entry<String, String> header : stored.headers()) {
            response.headers().add(header.getKey(), header.getValue());
        }
        response.headers()
                .set("x-request-id", exchange.requestId())
                .set(HeaderPolicy.BREAKWATER_REQUEST_ID, exchange.requestId())
                .set("x-breakwater-attempts", "0")
                .set("x-breakwater-replayed", "true");
        exchange.replayed(stored.status());
        response.end(Buffer.buffer(stored.body()));
    }

    /** The first request's response as it is relayed: its head, and its body up to {@code max-stored-body}. */
    static final class Capture {
        private final long limit;
        private Buffer body = Buffer.buffer();
        private boolean tooLarge;

        Capture(long limit) {
            this.limit = limit;
        }

        /** True once the body outgrew {@code max-stored-body}: it will not be kept. */
        boolean tooLarge() {
            return tooLarge;
        }

        /** Relayed body bytes. */
        void add(Buffer bytes) {
            if (tooLarge) {
                return;
            }
            if (body.length() + (long) bytes.length() > limit) {
                tooLarge = true;
                body = null;
                return;
            }
            body.appendBuffer(bytes);
        }

        /**
         * Hands the captured response to the admission: kept for duplicates, or refused to them as too large.
         *
         * @param headers the response's headers as the client got them
         */
        void finished(Exchange exchange, int status, MultiMap headers) {
            if (tooLarge) {
                exchange.admission()
                        .keyNotStored("its body was larger than idempotency.max-stored-body (" + limit + " bytes)");
                return;
            }
            List<Map.Entry<String, String>> kept = new ArrayList<>(headers.size());
            for (Map.Entry<String, String> header : headers) {
                String name = header.getKey().toLowerCase(Locale.ROOT);
                if (!PER_EXCHANGE.contains(name)) {
                    kept.add(Map.entry(name, header.getValue()));
                }
            }
            exchange.admission().keyAnswered(StoredResponse.of(status, kept, body.getBytes()));
        }
    }
}
