package dev.breakwater.resilience;

import dev.breakwater.config.FallbackClass;
import dev.breakwater.config.Priority;
import dev.breakwater.config.Strategy;
import dev.breakwater.time.Scheduler;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One request's standing with its route's {@link RouteGuard}: which upstream each attempt may go to and when,
 * what happens after it, and what the request holds meanwhile (the breaker's permission for the attempt in
 * flight, a place in the retry budget, a place in a rate-limit gate's queue). {@link #release()} gives all of it
 * back, once, whatever happened.
 *
 * <p><b>Choosing the upstream.</b> An attempt goes to the first upstream (in configured order, or by reported
 * capacity for {@code strategy: spread}) whose breaker is not open and whose gate does not hold this request's
 * key. An upstream that is blocked for a reason not in {@code fallback-on} is not skipped: the request is held
 * at its gate or refused, as on a route without fallbacks. After an outcome in {@code fallback-on} the next
 * attempt goes to another upstream at once, without a backoff wait; when none is left, the route's usual
 * backoff applies and the order starts again from the top. With every upstream blocked, the request is held at
 * the gate that opens first when that fits its wait, and refused with 429 {@code rate_limited} otherwise, or with
 * 503 {@code circuit_open} when only breakers block.
 *
 * <p>Confined to the request's event loop; a held request is resumed there through the executor it gave.
 */
public final class RequestAdmission {
    /** An absurd hint (a date decades ahead) must not lock a key until restart: the gate probes hourly at most. */
    static final long MAX_GATE_CLOSE_MILLIS = 3_600_000;
    /** The request header that sets a request's place in a rate-limit queue: high, normal or low. */
    public static final String PRIORITY_HEADER = "x-breakwater-priority";
    /** About how many bytes of a JSON body make one token, for pacing's estimate of a prompt. */
    static final long BYTES_PER_TOKEN = 4;

    private final RouteGuard guard;
    private final long deadlineNanos;
    private final OutgoingRequest outgoing;
    private final Scheduler timers;
    private final Executor loop;
    private final String[] rateLimitKeys;
    /** Per upstream: the model it is asked for (after its models rewrite), "" for none; null until read. */
    private final String[] models;
    /** The model the client named, "" for none; null until read. */
    private String requested;

    private RequestFacts facts;
    private RetryContext retry;
    /** The upstream of the attempt in flight, or of the last one. */
    private UpstreamGuard current;

    private RouteBreaker.Permit permit;
    private RateLimitGate.Ticket gateTicket;
    /** What pacing counted for the attempt in flight. */
    private Grant grant = Grant.NONE;
    /** The estimated tokens of one attempt (prompt and completion), -1 until needed. */
    private long tokenCost = -1;
    /** Upstreams this request should not go back to before the others were tried, one bit per index. */
    private long avoided;

    private boolean holdsRetryPlace;
    private boolean released;
    /** This request's hold on its {@code Idempotency-Key}, while it is the first with that key. */
    private IdempotencyStore.Ticket keyTicket;

    RequestAdmission(RouteGuard guard, long deadlineNanos, OutgoingRequest outgoing, Scheduler timers, Executor loop) {
        this.guard = guard;
        this.deadlineNanos = deadlineNanos;
        this.outgoing = outgoing;
        this.timers = timers;
        this.loop = loop;
        this.rateLimitKeys = new String[guard.upstreams().size()];
        this.models = new String[guard.upstreams().size()];
    }

    /** The client's body is read, so what may be repeated is known: attempts may be asked for from now on. */
    public void bodyRead(RequestFacts facts) {
        UpstreamGuard primary = guard.upstreams().get(0);
        this.facts = primary.provider().describe(facts, outgoing, primary.address());
        this.retry = guard.retryPolicy().newContext(this.facts, deadlineNanos);
    }

    /** The request's JSON-RPC call on an MCP route, or null; known once the body is read. */
    public McpCall mcpCall() {
        return facts == null ? null : facts.call();
    }

    /**
     * The relayed answer to this request's {@code tools/list} carried {@code message} (one JSON-RPC message): its
     * upstream's rules learn which tools may run twice, for the session {@code sessionId} (null: none).
     */
    public void onMcpMessage(String sessionId, String message) {
        if (current != null && current.provider() instanceof McpRules mcp) {
            mcp.learn(current.address(), sessionId, message);
        }
    }

    /** The rate-limit key of this request at the current upstream (for the wait metric), or "" when none. */
    public String currentKey() {
        return current == null || current.gate().isEmpty() ? "" : rateLimitKey(current);
    }

    /**
     * The model the current upstream is asked for (the body's or the path's, after the upstream's {@code models}
     * rewrite), or null when there is none or no upstream was chosen yet.
     */
    public String model() {
        return current == null ? null : model(current);
    }

    /** The upstream of the attempt in flight, or of the last one; null before the first. */
    public UpstreamGuard upstream() {
        return current;
    }

    /**
     * The model the client named (before any upstream's {@code models} rewrite), or null when the route's provider
     * reads none or the body names none. Read from the body once, on first use.
     */
    public String requestedModel() {
        if (requested == null) {
            String named = guard.upstreams().get(0).provider().model(outgoing);
            requested = named == null ? "" : named;
        }
        return requested.isEmpty() ? null : requested;
    }

    /**
     * May the next attempt go now, and where? On {@link Clearance.Go} the chosen upstream is {@link #upstream()}
     * and its breaker's permission for the attempt is taken. An open breaker refuses at once (holding the request
     * at a gate first would only make the client wait for the same 503).
     *
     * @param whenReleased receives the clearance of a held request once the gate lets it go
     */
    public Clearance clearAttempt(Consumer<Clearance> whenReleased) {
        List<Blocked> blocked = null; // made only when an upstream is blocked: the common attempt allocates none
        List<UpstreamGuard> order = order();
        for (int pass = 0; pass < 2; pass++) {
            for (UpstreamGuard upstream : order) {
                if (isAvoided(upstream) != (pass == 1) || !canCarryBody(upstream)) {
                    continue;
                }
                // Looking at the gate first only serves to go elsewhere: without falling back on rate limits, the
                // gate is asked once, by hold().
                FallbackClass block = blockOf(upstream, guard.fallsBackOn(FallbackClass.RATE_LIMITED));
                if (block == null) {
                    // An active gate (pacing, or a key closed or releasing) decides: it lets this one pass when it
                    // may, barring a race.
                    Clearance clearance = gateActive(upstream) ? hold(upstream, whenReleased) : takePermit(upstream);
                    if (clearance == Clearance.GO || clearance instanceof Clearance.Wait) {
                        return clearance;
                    }
                    // Refused by the gate (it filled meanwhile), or half-open with every probe out (refused like
                    // an open breaker).
                    block = clearance instanceof Clearance.Refuse refuse
                                    && refuse.refusal() instanceof Refusal.RateLimited
                            ? FallbackClass.RATE_LIMITED
                            : FallbackClass.CIRCUIT_OPEN;
                }
                if (blocked == null) {
                    blocked = new ArrayList<>(2);
                }
                blocked.add(new Blocked(upstream, block));
                if (!guard.fallsBackOn(block)) {
                    return whenBlocked(blocked, whenReleased);
                }
            }
        }
        return whenBlocked(blocked == null ? List.of() : blocked, whenReleased);
    }

    /** An upstream blocked for this request, and why. */
    private record Blocked(UpstreamGuard upstream, FallbackClass reason) {}

    /**
     * A body streamed through (too large to keep) is sent once and never rewritten, so it may only go to an
     * upstream without {@code models} (the primary always qualifies).
     */
    private boolean canCarryBody(UpstreamGuard upstream) {
        return facts.replayable()
                || upstream.index() == 0
                || upstream.target().models().isEmpty();
    }

    /** The order upstreams are considered in: configured, or by reported capacity for {@code spread}. */
    private List<UpstreamGuard> order() {
        List<UpstreamGuard> upstreams = guard.upstreams();
        if (guard.strategy() != Strategy.SPREAD || upstreams.size() == 1) {
            return upstreams;
        }
        boolean known = upstreams.stream().anyMatch(u -> u.remainingCapacity() >= 0);
        // While no upstream reported its capacity, take turns; once one did, rank by it (see spreadRank).
        List<UpstreamGuard> order = new ArrayList<>(upstreams.size());
        if (!known) {
            int start = guard.nextRotation();
            for (int i = 0; i < upstreams.size(); i++) {
                order.add(upstreams.get((start + i) % upstreams.size()));
            }
            return order;
        }
        order.addAll(upstreams);
        order.sort(Comparator.comparingLong(UpstreamGuard::spreadRank).reversed());
        return order;
    }

    /**
     * Why {@code upstream} cannot take an attempt of this request now, or null when it can.
     *
     * @param lookAtGate false leaves the rate-limit gate out (the caller asks it anyway)
     */
    private FallbackClass blockOf(UpstreamGuard upstream, boolean lookAtGate) {
        if (breakerOpen(upstream)) {
            return FallbackClass.CIRCUIT_OPEN;
        }
        RateLimitGate gate = lookAtGate ? upstream.gate().orElse(null) : null;
        if (gate != null && gate.isActive() && !gate.wouldPass(rateLimitKey(upstream), tokenCost(upstream))) {
            return FallbackClass.RATE_LIMITED;
        }
        return null;
    }

    /**
     * Every upstream considered is blocked: hold at the gate that opens first (429 when that is longer than the
     * request may wait), or, when only breakers block, refuse with the breaker that reopens first.
     */
    private Clearance whenBlocked(List<Blocked> blocked, Consumer<Clearance> whenReleased) {
        UpstreamGuard holdAt = null;
        long earliest = Long.MAX_VALUE;
        for (Blocked b : blocked) {
            if (b.reason() == FallbackClass.RATE_LIMITED) {
                long wait = b.upstream()
                        .gate()
                        .orElseThrow()
                        .closedForMillis(rateLimitKey(b.upstream()), tokenCost(b.upstream()));
                if (wait < earliest) {
                    earliest = wait;
                    holdAt = b.upstream();
                }
            }
        }
        if (holdAt != null) {
            return hold(holdAt, whenReleased);
        }
        RouteBreaker refusing = null;
        for (Blocked b : blocked) {
            RouteBreaker breaker = peekBreaker(b.upstream());
            if (breaker != null && (refusing == null || breaker.retryAfterSeconds() < refusing.retryAfterSeconds())) {
                refusing = breaker;
                current = b.upstream();
            }
        }
        if (refusing != null) {
            return circuitOpen(refusing);
        }
        // Nothing blocks any more (a gate opened on another event loop meanwhile): the first one goes.
        return takePermit(
                blocked.isEmpty() ? guard.upstreams().get(0) : blocked.get(0).upstream());
    }

    private Clearance hold(UpstreamGuard upstream, Consumer<Clearance> whenReleased) {
        RateLimitGate gate = upstream.gate().orElseThrow();
        current = upstream;
        long maxWaitNanos = Math.min(
                guard.maxWaitMillis() * 1_000_000L,
                deadlineNanos - guard.ticker().nanoTime());
        RateLimitGate.Admission admission = gate.admit(
                rateLimitKey(upstream),
                tokenCost(upstream),
                priority(gate),
                maxWaitNanos,
                loop,
                granted -> {
                    gateTicket = null;
                    if (released) {
                        // Released on the way here (deadline, client gone): give the grant back unused.
                        gate.onAnswer(rateLimitKey(upstream), granted, BudgetReport.FAILED, true);
                        return;
                    }
                    grant = granted;
                    whenReleased.accept(takePermit(upstream));
                },
                timers);
        if (admission instanceof RateLimitGate.Held held) {
            gateTicket = held.ticket();
            return new Clearance.Wait(held.waitMillis());
        }
        if (admission instanceof RateLimitGate.Rejected rejected) {
            return new Clearance.Refuse(new Refusal.RateLimited(rejected.retryAfterSeconds(), rejected.queueFull()));
        }
        grant = ((RateLimitGate.Pass) admission).grant();
        return takePermit(upstream);
    }

    private Clearance takePermit(UpstreamGuard upstream) {
        current = upstream;
        RouteBreaker breaker = breakerOf(upstream);
        if (breaker == null) {
            upstream.dispatched();
            return Clearance.GO;
        }
        permit = breaker.tryAcquire();
        if (permit != null) {
            upstream.dispatched();
        }
        if (permit == null) {
            // A refusal is an answer too: without this, requests the gate holds would leave it only at the
            // gate's slow one-per-second nudge while the breaker stays open.
            Grant counted = grant;
            grant = Grant.NONE;
            upstream.gate()
                    .filter(RateLimitGate::isActive)
                    .ifPresent(gate -> gate.onAnswer(rateLimitKey(upstream), counted, BudgetReport.FAILED, false));
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
        UpstreamGuard upstream = current;
        upstream.observeCapacity(head);
        int status = head.status();
        FallbackClass outcome =
                status == 429 ? FallbackClass.RATE_LIMITED : status >= 500 ? FallbackClass.SERVER_ERROR : null;
        RetryDecision decision = admitRetry(retry.onResponse(head, upstream.provider(), fallBack(outcome)));
        updateGate(upstream, head, decision);
        return decision;
    }

    /** Records the failure of the attempt in flight (before response headers) and decides what follows. */
    public RetryDecision onFailure(FailureKind kind, Throwable cause) {
        if (permit != null) {
            permit.onFailure(cause);
            permit = null;
        }
        releaseRetryPlace();
        FallbackClass outcome = switch (kind) {
            case CONNECT_FAILURE -> FallbackClass.UNREACHABLE;
            case RESPONSE_TIMEOUT, FIRST_EVENT_TIMEOUT -> FallbackClass.TIMEOUT;
            case RESET_BEFORE_HEADERS, PROTOCOL_ERROR, STREAM_CUT_BEFORE_FIRST_EVENT -> FallbackClass.SERVER_ERROR;
        };
        RetryDecision decision = admitRetry(retry.onFailure(kind, fallBack(outcome)));
        updateGate(current, null, decision);
        return decision;
    }

    /**
     * After an outcome in {@code fallback-on}, the upstream that produced it is avoided, and the next attempt may
     * go to another one at once if one can take it now. Any other outcome starts the order from the top again.
     */
    private boolean fallBack(FallbackClass outcome) {
        if (outcome == null || !guard.fallsBackOn(outcome)) {
            avoided = 0;
            return false;
        }
        avoided |= 1L << current.index();
        for (UpstreamGuard upstream : guard.upstreams()) {
            if (!isAvoided(upstream)
                    && canCarryBody(upstream)
                    && blockOf(upstream, true) == null
                    && !halfOpen(upstream)) {
                return true;
            }
        }
        avoided = 0;
        return false;
    }

    private boolean isAvoided(UpstreamGuard upstream) {
        return (avoided & (1L << upstream.index())) != 0;
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

    /**
     * An open WebSocket session of this request reported its upstream's budget mid-stream (an OpenAI Realtime
     * {@code rate_limits.updated} event): {@code strategy: spread} ranks the upstream by it. Pacing does not learn
     * it: the session's rate-limit key has no model (it is in the URL's query, not a body), so the report would
     * pace the credential's model-less requests with the Realtime model's budget.
     */
    public void onBudgetReported(BudgetReport report) {
        if (current != null) {
            current.observeCapacity(report);
        }
    }

    /** A response whose headers counted as fine broke off mid-body: a failure for its upstream's breaker. */
    public void onStreamBroken(Throwable cause) {
        RouteBreaker breaker = breakerOf(current);
        if (breaker != null) {
            breaker.onStreamBroken(cause);
        }
    }

    /**
     * Records this request under its {@code Idempotency-Key} in the route's store (see {@link IdempotencyStore}),
     * and hands what it may do to {@code answer}, on the request's loop (inline when no fleet is asked). The first
     * request with a key holds it until {@link #keyAnswered}, {@link #keyNotStored} or {@link #release()}.
     *
     * @param key the request's scoped key ({@link IdempotencyStore#key})
     * @param ttlMillis how long its response is kept
     * @param expectedMillis about how long the request may take, for a duplicate's {@code Retry-After}
     * @return false when the route keeps no keys ({@code answer} is not called)
     */
    public boolean claimKey(
            String key, byte[] bodyHash, long ttlMillis, long expectedMillis, Consumer<IdempotencyStore.Claim> answer) {
        if (guard.idempotency().isEmpty() || keyTicket != null || released) {
            return false;
        }
        guard.idempotency().get().claim(key, bodyHash, ttlMillis, expectedMillis, loop, claim -> {
            if (claim instanceof IdempotencyStore.First first) {
                if (released) {
                    // Ended while the fleet answered (client gone, deadline): give the key back at once.
                    first.ticket().release();
                    return;
                }
                keyTicket = first.ticket();
            }
            answer.accept(claim);
        });
        return true;
    }

    /** True while this request holds its {@code Idempotency-Key}: its outcome is what duplicates will get. */
    public boolean holdsKey() {
        return keyTicket != null;
    }

    /**
     * The request that holds its key finished with {@code response}. A response that retrying may fix (5xx, 408,
     * 429) is not kept: the key is freed, so the client's own retry goes upstream again.
     */
    public void keyAnswered(StoredResponse response) {
        if (keyTicket == null) {
            return;
        }
        int status = response.status();
        if (status >= 500 || status == 408 || status == 429) {
            keyTicket.release();
        } else {
            keyTicket.complete(response);
        }
        keyTicket = null;
    }

    /**
     * The request that holds its key reached the upstream but its response is not kept ({@code reason}: too large,
     * or broken off after it started, so whether the call took effect is unknown): duplicates are refused.
     */
    public void keyNotStored(String reason) {
        if (keyTicket != null) {
            keyTicket.notStored(reason);
            keyTicket = null;
        }
    }

    /** The refusal to answer with when a {@link StopReason#CIRCUIT_OPEN} stop leaves nothing to relay. */
    public Refusal circuitOpenRefusal() {
        RouteBreaker breaker = peekBreaker(current);
        return breaker == null
                ? new Refusal.CircuitOpen(1, false)
                : circuitOpen(breaker).refusal();
    }

    /** True when the request may run twice (see {@link RetryClassifier#mayRepeat}). */
    public boolean mayRepeat() {
        return guard.retryPolicy().classifier().mayRepeat(facts);
    }

    /**
     * Gives back everything the request holds: the attempt's breaker permission, its place in a gate's queue
     * and in the retry budget, and its count among the route's requests. Later calls do nothing.
     */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        onAttemptAbandoned();
        if (keyTicket != null) {
            // Ended without an outcome worth keeping: the key is free for the client's retry.
            keyTicket.release();
            keyTicket = null;
        }
        if (grant != Grant.NONE && current != null) {
            // Sent and never answered: a probe of an unknown window must not block the key until it times out.
            Grant counted = grant;
            grant = Grant.NONE;
            current.gate().ifPresent(gate -> gate.onAnswer(rateLimitKey(current), counted, BudgetReport.FAILED, true));
        }
        if (gateTicket != null) {
            gateTicket.cancel();
            gateTicket = null;
        }
        releaseRetryPlace();
        guard.budget().requestFinished();
    }

    /**
     * A retry the policy wants must also find a free place in the retry budget, and, unless it goes to another
     * upstream at once, the breaker of the upstream that answered not open.
     */
    private RetryDecision admitRetry(RetryDecision decision) {
        if (!(decision instanceof RetryDecision.Retry wanted)) {
            return decision;
        }
        if (wanted.waitSource() != WaitSource.FALLBACK && breakerOpen(current) && !anotherUpstreamUsable()) {
            return wanted.refusedBy(StopReason.CIRCUIT_OPEN);
        }
        if (!guard.budget().tryStartRetry()) {
            return wanted.refusedBy(StopReason.RETRY_BUDGET_EXHAUSTED);
        }
        holdsRetryPlace = true;
        return decision;
    }

    /** True when an upstream other than the current one has no open breaker and the route may fall back to it. */
    private boolean anotherUpstreamUsable() {
        if (!guard.fallsBackOn(FallbackClass.CIRCUIT_OPEN)) {
            return false;
        }
        for (UpstreamGuard upstream : guard.upstreams()) {
            if (upstream != current && !breakerOpen(upstream)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A 429 whose hint shows the key limited closes the upstream's gate for this key; any other answer (a failure
     * has no head) lets held requests go.
     */
    private void updateGate(UpstreamGuard upstream, ResponseHead head, RetryDecision decision) {
        RateLimitGate gate = upstream.gate().orElse(null);
        Grant counted = grant;
        grant = Grant.NONE;
        if (gate == null) {
            return;
        }
        boolean closes = gate.policy().closeOn429()
                && head != null
                && head.status() == 429
                && decision.hasServerHint()
                && RateLimitGate.closesOn(
                        decision.serverHintMillis(), upstream.provider().quotaExhausted(head));
        if (closes) {
            gate.closeAndShare(
                    rateLimitKey(upstream), Math.min(decision.serverHintMillis(), MAX_GATE_CLOSE_MILLIS), timers);
        }
        if (gate.isActive()) {
            BudgetReport report = head == null
                    ? BudgetReport.FAILED
                    : gate.policy().pacing()
                            ? upstream.provider().budget(guard.retryPolicy().hints(), head)
                            : BudgetReport.NONE;
            gate.onAnswer(rateLimitKey(upstream), counted, report, closes);
        }
    }

    /** True when {@code upstream}'s gate counts every attempt against the budget its answers report. */
    private static boolean paces(UpstreamGuard upstream) {
        RateLimitGate gate = upstream.gate().orElse(null);
        return gate != null && gate.policy().pacing();
    }

    /** True when {@code upstream}'s gate must be asked: it paces, or holds keys closed or releasing. */
    private static boolean gateActive(UpstreamGuard upstream) {
        RateLimitGate gate = upstream.gate().orElse(null);
        return gate != null && gate.isActive();
    }

    /**
     * The tokens one attempt is estimated to cost, for pacing: about one per {@value #BYTES_PER_TOKEN} body bytes
     * for the prompt, plus the completion cap the body names, or the route's {@code default-completion-tokens}.
     * 0 for an upstream that does not pace. Read once.
     */
    private long tokenCost(UpstreamGuard upstream) {
        if (!paces(upstream)) {
            return 0;
        }
        if (tokenCost < 0) {
            long completion = outgoing.jsonFields().maxOutputTokens();
            long prompt = Math.max(0, outgoing.bodyLength()) / BYTES_PER_TOKEN;
            tokenCost = prompt
                    + (completion >= 0
                            ? completion
                            : upstream.gate().orElseThrow().policy().defaultCompletionTokens());
        }
        return tokenCost;
    }

    /** The request's queue priority: its {@value #PRIORITY_HEADER} header, else the route's default. */
    private Priority priority(RateLimitGate gate) {
        Priority asked = Priority.parse(outgoing.header(PRIORITY_HEADER));
        return asked != null ? asked : gate.policy().priority();
    }

    private void releaseRetryPlace() {
        if (holdsRetryPlace) {
            holdsRetryPlace = false;
            guard.budget().retryFinished();
        }
    }

    /** The breaker of this request at {@code upstream}: the one of the model it asks for, or null when none. */
    private RouteBreaker breakerOf(UpstreamGuard upstream) {
        return upstream.breakers().isEmpty()
                ? null
                : upstream.breakerFor(model(upstream)).orElse(null);
    }

    /** As {@link #breakerOf}, without making a model's breaker: for looking at upstreams not (yet) tried. */
    private RouteBreaker peekBreaker(UpstreamGuard upstream) {
        return upstream.breakers().isEmpty()
                ? null
                : upstream.peekBreaker(model(upstream)).orElse(null);
    }

    private boolean breakerOpen(UpstreamGuard upstream) {
        RouteBreaker breaker = peekBreaker(upstream);
        return breaker != null && breaker.isOpen();
    }

    /**
     * Half-open: it may refuse for want of a probe. Not counted as free when deciding to go elsewhere at once, so
     * a refused probe does not send the request straight back to the upstream that just failed.
     */
    private boolean halfOpen(UpstreamGuard upstream) {
        RouteBreaker breaker = peekBreaker(upstream);
        return breaker != null && breaker.circuitBreaker().getState() == CircuitBreaker.State.HALF_OPEN;
    }

    /**
     * The model this request asks {@code upstream} for, after the upstream's {@code models} rewrite; null when the
     * provider has none or the body names none. Read once per upstream.
     */
    private String model(UpstreamGuard upstream) {
        String model = models[upstream.index()];
        if (model == null) {
            // Rules of one kind read the same request the same way: the body is parsed once for all upstreams.
            String named = upstream.provider().getClass()
                            == guard.upstreams().get(0).provider().getClass()
                    ? requestedModel()
                    : upstream.provider().model(outgoing);
            model = named == null ? "" : upstream.target().models().getOrDefault(named, named);
            models[upstream.index()] = model;
        }
        return model.isEmpty() ? null : model;
    }

    private static Clearance.Refuse circuitOpen(RouteBreaker breaker) {
        return new Clearance.Refuse(new Refusal.CircuitOpen(breaker.retryAfterSeconds(), breaker.isForcedOpen()));
    }

    /**
     * The key of this request at {@code upstream}'s gate: the upstream's address, the credential it receives and
     * the model it is asked for (after the upstream's {@code models} rewrite). Computed on first use, which only
     * happens once a gate is active.
     */
    private String rateLimitKey(UpstreamGuard upstream) {
        String key = rateLimitKeys[upstream.index()];
        if (key == null) {
            key = GateKeys.of(upstream.address(), Credentials.of(upstream.target(), outgoing), model(upstream));
            rateLimitKeys[upstream.index()] = key;
        }
        return key;
    }
}
