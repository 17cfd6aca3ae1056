package dev.breakwater.proxy;

import dev.breakwater.resilience.Clearance;
import dev.breakwater.resilience.WaitSource;

/**
 * Logs and meters a request's holds at a rate-limit gate, for whatever drives its attempts (the HTTP retry loop,
 * a WebSocket handshake): the hold as it starts, and its actual length once the request is let go or refused.
 */
final class GateHold {
    private final Exchange exchange;
    /** When the request was held ({@link System#nanoTime}), or 0 when it is not held. */
    private long heldSinceNanos;

    GateHold(Exchange exchange) {
        this.exchange = exchange;
    }

    /** The request is held for about {@code wait}; the next attempt starts once the gate lets it go. */
    void started(Clearance.Wait wait) {
        heldSinceNanos = System.nanoTime();
        exchange.runtime()
                .retryLog()
                .held(
                        exchange.requestId(),
                        exchange.route().name(),
                        exchange.upstreamName(),
                        exchange.attempts() + 1,
                        wait.waitMillis(),
                        exchange.trace().traceId(),
                        exchange.trace().spanId());
        exchange.trace().held(wait.waitMillis());
        exchange.route().metrics().retryWait(WaitSource.GATE, wait.waitMillis());
    }

    /** A clearance arrived: a hold in progress ends, and its length is metered. */
    void ended() {
        if (heldSinceNanos != 0) {
            long held = System.nanoTime() - heldSinceNanos;
            exchange.route()
                    .metrics()
                    .gateWait(exchange.upstreamName(), exchange.admission().currentKey(), held);
            exchange.heldFor(held);
            heldSinceNanos = 0;
        }
    }
}
