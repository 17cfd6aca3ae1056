package dev.breakwater.resilience;

import dev.breakwater.time.Scheduler;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One request's standing with its route's {@link RouteGuard}: whether each attempt may go, what happens after it,
 * and what the request holds meanwhile (the breaker's permission for the attempt in flight, a place in the retry
 * budget, a place in the rate-limit gate's queue). {@link #release()} gives all of it back, once, whatever
 * happened.
 *
 * <p>Confined to the request's event loop; a held request is resumed there through the executor it gave.
 */
public final class RequestAdmission {
    /** An absurd hint (a date decades ahead) must not lock a key until restart: the gate probes hourly at most. */
    static final long MAX_GATE_CLOSE_MILLIS = 3_600_000;

    private final RouteGuard guard;
    private final long deadlineNanos;
    private final OutgoingRequest outgoing;
    private final Scheduler timers;
    private final Executor loop;
    private RequestFacts facts;
    private RetryContext retry;
    private RouteBreaker.Permit permit;
    private RateLimitGate.Ticket gateTicket;
    private boolean holdsRetryPlace;
    private boolean released;
    private String rateLimitKey;

    RequestAdmission(RouteGuard guard, long deadlineNanos, OutgoingRequest outgoing, Scheduler timers, Executor loop) {
        this.guard = guard;
        this.deadlineNanos = deadlineNanos;
        this.outgoing = outgoing;
        this.timers = timers;
        this.loop = loop;
    }

    /** The client's body is read, so what may be repeated is known: attempts may be asked for from now on. */
    public void bodyRead(RequestFacts facts) {
        this.facts = facts;
        this.retry = guard.retryPolicy().newContext(facts, deadlineNanos);
    }

    /**
     * May the next attempt go now? An open breaker refuses at once (holding the request at the gate first would
     * only make the client wait for the same 503); a closed gate holds the request, or refuses when it stays
     * closed past the request's {@code max-retry-after} or deadline. On {@link Clearance.Go} the breaker's
     * permission for the attempt is taken.
     *
     * @param whenReleased receives the clearance of a held request once the gate lets it go
     */
    public Clearance clearAttempt(Consumer<Clearance> whenReleased) {
        RouteBreaker breaker = guard.breaker().orElse(null);
        if (breaker != null && breaker.isOpen()) {
            return circuitOpen(breaker);
        }
        RateLimitGate gate = guard.gate().orElse(null);
        if (gate != null && gate.isActive()) {
            long maxWaitNanos = Math.min(
                    guard.maxWaitMillis() * 1_000_000L,
                    deadlineNanos - guard.ticker().nanoTime());
            RateLimitGate.Admission admission = gate.admit(rateLimitKey(), maxWaitNanos, loop, () -> {
                gateTicket = null;
                if (!released) {
                    whenReleased.accept(takePermit());
                }
            });
            if (admission instanceof RateLimitGate.Held held) {
                gateTicket = held.ticket();
                return new Clearance.Wait(held.waitMillis());
            }
            if (admission instanceof RateLimitGate.Rejected rejected) {
                return new Clearance.Refuse(new Refusal.RateLimited(rejected.retryAfterSeconds()));
            }
        }
        return takePermit();
    }

    private Clearance takePermit() {
        RouteBreaker breaker = guard.breaker().orElse(null);
        if (breaker == null) {
            return Clearance.GO;
        }
        permit = breaker.tryAcquire();
        if (permit == null) {
            // A refusal is an answer too: without this, requests the gate holds would leave it only at the
            // gate's slow one-per-second nudge while the breaker stays open.
            guard.gate().filter(RateLimitGate::isActive).ifPresent(gate -> gate.onAnswer(rateLimitKey()));
            return circuitOpen(breaker);
        }
        return Clearance.GO;
    }

    /** The attempt in flight got response headers with {@code status}: the breaker learns it now. */
    public void onHeaders(int status) {
        if (permit != null) {
            permit.onResponse(status);
            permit = null;
        }
        releaseRetryPlace();
    }

    /**
     * Decides after the attempt that returned {@code head} (see {@link #onHeaders}; the head may carry error
     * fields read from the body since).
     */
    public RetryDecision onResponse(ResponseHead head) {
        RetryDecision decision = admitRetry(retry.onResponse(head));
        updateGate(head, decision);
        return decision;
    }

    /** Records the failure of the attempt in flight (before response headers) and decides what follows. */
    public RetryDecision onFailure(FailureKind kind, Throwable cause) {
        if (permit != null) {
            permit.onFailure(cause);
            permit = null;
        }
        releaseRetryPlace();
        RetryDecision decision = admitRetry(retry.onFailure(kind));
        updateGate(null, decision);
        return decision;
    }

    /** The attempt in flight was abandoned without an outcome (client gone, deadline): no verdict on health. */
    public void onAttemptAbandoned() {
        if (permit != null) {
            permit.release();
            permit = null;
        }
    }

    /** The response was passed to the client: no more attempts. */
    public void onCommitted() {
        retry.onCommitted();
    }

    /** A response whose headers counted as fine broke off mid-body: a failure for the breaker after all. */
    public void onStreamBroken(Throwable cause) {
        guard.breaker().ifPresent(breaker -> breaker.onStreamBroken(cause));
    }

    /** The refusal to answer with when a {@link StopReason#CIRCUIT_OPEN} stop leaves nothing to relay. */
    public Refusal circuitOpenRefusal() {
        return guard.breaker().map(breaker -> circuitOpen(breaker).refusal()).orElse(new Refusal.CircuitOpen(1, false));
    }

    /** True when the request may run twice (see {@link RetryClassifier#mayRepeat}). */
    public boolean mayRepeat() {
        return guard.retryPolicy().classifier().mayRepeat(facts);
    }

    /**
     * Gives back everything the request holds: the attempt's breaker permission, its place in the gate's queue
     * and in the retry budget, and its count among the route's requests. Later calls do nothing.
     */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        onAttemptAbandoned();
        if (gateTicket != null) {
            gateTicket.cancel();
            gateTicket = null;
        }
        releaseRetryPlace();
        guard.budget().requestFinished();
    }

    /** A retry the policy wants must also find the breaker not open and a free place in the retry budget. */
    private RetryDecision admitRetry(RetryDecision decision) {
        if (!(decision instanceof RetryDecision.Retry wanted)) {
            return decision;
        }
        if (guard.breaker().map(RouteBreaker::isOpen).orElse(false)) {
            return wanted.refusedBy(StopReason.CIRCUIT_OPEN);
        }
        if (!guard.budget().tryStartRetry()) {
            return wanted.refusedBy(StopReason.RETRY_BUDGET_EXHAUSTED);
        }
        holdsRetryPlace = true;
        return decision;
    }

    /**
     * A 429 whose hint shows the key limited closes the gate for this key; any other answer (a failure has no
     * head) lets held requests go.
     */
    private void updateGate(ResponseHead head, RetryDecision decision) {
        RateLimitGate gate = guard.gate().orElse(null);
        if (gate == null) {
            return;
        }
        if (head != null
                && head.status() == 429
                && decision.hasServerHint()
                && RateLimitGate.closesOn(
                        decision.serverHintMillis(), guard.provider().quotaExhausted(head))) {
            gate.close(rateLimitKey(), Math.min(decision.serverHintMillis(), MAX_GATE_CLOSE_MILLIS), timers);
        } else if (gate.isActive()) {
            gate.onAnswer(rateLimitKey());
        }
    }

    private void releaseRetryPlace() {
        if (holdsRetryPlace) {
            holdsRetryPlace = false;
            guard.budget().retryFinished();
        }
    }

    private static Clearance.Refuse circuitOpen(RouteBreaker breaker) {
        return new Clearance.Refuse(new Refusal.CircuitOpen(breaker.retryAfterSeconds(), breaker.isForcedOpen()));
    }

    /** Computed on first use, which only happens once a gate has closed. */
    private String rateLimitKey() {
        if (rateLimitKey == null) {
            rateLimitKey = guard.provider().rateLimitKey(guard.upstream(), outgoing);
        }
        return rateLimitKey;
    }
}
