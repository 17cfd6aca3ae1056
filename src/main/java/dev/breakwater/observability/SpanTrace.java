package dev.breakwater.observability;

import dev.breakwater.config.Provider;
import dev.breakwater.resilience.RetryDecision;
import dev.breakwater.resilience.StopReason;
import dev.breakwater.resilience.TokenUsage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.function.BiConsumer;

/**
 * A traced request (see {@link RequestTrace}): the server span, and the client span of the attempt in flight. The
 * attribute names are OpenTelemetry's HTTP and GenAI semantic conventions, and {@code breakwater.*} for what they
 * have no name for. Every parent is passed explicitly: nothing here reads or sets the thread's current context.
 */
final class SpanTrace implements RequestTrace {
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<Long> RESEND_COUNT = AttributeKey.longKey("http.request.resend_count");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> GEN_AI_SYSTEM = AttributeKey.stringKey("gen_ai.system");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("breakwater.request_id");
    static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("breakwater.upstream");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("breakwater.outcome");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("breakwater.reason");
    static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("breakwater.attempts");
    static final AttributeKey<Long> WAIT_MS = AttributeKey.longKey("breakwater.retry.wait_ms");
    static final AttributeKey<String> WAIT_REASON = AttributeKey.stringKey("breakwater.retry.reason");
    static final AttributeKey<String> WAIT_SOURCE = AttributeKey.stringKey("breakwater.retry.wait_source");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("breakwater.attempt");
    static final AttributeKey<String> RESULT = AttributeKey.stringKey("breakwater.result");
    static final AttributeKey<Long> HOLD_MS = AttributeKey.longKey("breakwater.hold.wait_ms");
    static final AttributeKey<String> REFUSAL = AttributeKey.stringKey("breakwater.refusal");

    private final Tracer tracer;
    private final Span server;
    /** The server span as a parent of the attempts. */
    private final Context serverContext;

    private final String method;
    private final String genAiSystem;
    private Span attempt;
    private boolean attemptOpen;
    /** True once the open attempt has a status. */
    private boolean answered;

    private int attempts;
    private String requestModel;
    /** The wait before the next attempt and why, once a retry is scheduled; -1 when none is pending. */
    private long pendingWaitMillis = -1;

    private String pendingWaitReason;

    SpanTrace(
            Tracer tracer,
            Context parent,
            String method,
            String path,
            String route,
            Provider provider,
            String requestId) {
        this.tracer = tracer;
        this.method = method;
        this.genAiSystem = genAiSystem(provider);
        var builder = tracer.spanBuilder(method + " " + route)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, method)
                .setAttribute(URL_PATH, path)
                .setAttribute(HTTP_ROUTE, route)
                .setAttribute(REQUEST_ID, requestId);
        if (genAiSystem != null) {
            builder.setAttribute(GEN_AI_SYSTEM, genAiSystem);
        }
        this.server = builder.startSpan();
        this.serverContext = parent.with(server);
    }

    /** OpenTelemetry's name for the API, or null for a route that fronts no LLM API. */
    private static String genAiSystem(Provider provider) {
        return switch (provider) {
            case OPENAI -> "openai";
            case AZURE_OPENAI -> "az.ai.openai";
            case ANTHROPIC -> "anthropic";
            case GENERIC, MCP -> null;
        };
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void attemptStarted(int resendCount, String upstream, String host, int port, String model) {
        endAttempt();
        attempts++;
        var builder = tracer.spanBuilder(method)
                .setParent(serverContext)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(METHOD, method)
                .setAttribute(SERVER_ADDRESS, host)
                .setAttribute(SERVER_PORT, port)
                .setAttribute(RESEND_COUNT, resendCount)
                .setAttribute(UPSTREAM, upstream);
        if (genAiSystem != null) {
            builder.setAttribute(GEN_AI_SYSTEM, genAiSystem);
        }
        if (model != null) {
            builder.setAttribute(REQUEST_MODEL, model);
            if (requestModel == null) {
                requestModel = model;
                server.setAttribute(REQUEST_MODEL, model);
            }
        }
        if (pendingWaitMillis >= 0) {
            builder.setAttribute(WAIT_MS, pendingWaitMillis).setAttribute(WAIT_REASON, pendingWaitReason);
            pendingWaitMillis = -1;
        }
        attempt = builder.startSpan();
        attemptOpen = true;
        answered = false;
    }

    @Override
    public void injectAttempt(BiConsumer<String, String> headers) {
        if (attempt != null) {
            W3CTraceContextPropagator.getInstance().inject(serverContext.with(attempt), headers, HeaderSetter.SETTER);
        }
    }

    @Override
    public void attemptAnswered(int status) {
        if (!attemptOpen) {
            return;
        }
        answered = true;
        attempt.setAttribute(STATUS, status);
        if (status >= 400) {
            attempt.setAttribute(ERROR_TYPE, Integer.toString(status));
            attempt.setStatus(StatusCode.ERROR);
        }
    }

    @Override
    public void attemptFailed(String errorType) {
        if (!attemptOpen) {
            return;
        }
        attempt.setAttribute(ERROR_TYPE, errorType);
        attempt.setStatus(StatusCode.ERROR);
        endAttempt();
    }

    @Override
    public void decided(RetryDecision decision, String result) {
        if (decision instanceof RetryDecision.Retry retry) {
            server.addEvent(
                    "breakwater.retry",
                    Attributes.builder()
                            .put(ATTEMPT, retry.attempt())
                            .put(RESULT, result)
                            .put(WAIT_MS, retry.delayMillis())
                            .put(WAIT_SOURCE, retry.waitSource().label())
                            .put(REASON, retry.reasonLabel())
                            .build());
            pendingWaitMillis = retry.delayMillis();
            pendingWaitReason = retry.reasonLabel();
            endAttempt();
            return;
        }
        RetryDecision.Stop stop = (RetryDecision.Stop) decision;
        if (stop.reason() == StopReason.CIRCUIT_OPEN || stop.reason() == StopReason.RETRY_BUDGET_EXHAUSTED) {
            // The breaker or the retry budget said no to a retry the policy wanted.
            refused(stop.reason().label());
        } else if (!stop.reason().isRoutine()) {
            server.addEvent(
                    "breakwater.give_up",
                    Attributes.of(
                            ATTEMPT,
                            (long) stop.attempt(),
                            RESULT,
                            result,
                            REASON,
                            stop.reason().label()));
        }
    }

    @Override
    public void held(long waitMillis) {
        server.addEvent("breakwater.gate_hold", Attributes.of(HOLD_MS, waitMillis));
    }

    @Override
    public void refused(String code) {
        server.addEvent("breakwater.refused", Attributes.of(REFUSAL, code));
    }

    @Override
    public void finished(int status, AccessLog.Outcome outcome, String reason, TokenUsage usage, String responseModel) {
        if (attemptOpen) {
            if (!answered) {
                // Still waiting for a response when the request ended (the client left, the deadline passed).
                attempt.setAttribute(ERROR_TYPE, "cancelled");
                attempt.setStatus(StatusCode.ERROR);
            }
            genAi(attempt, usage, responseModel);
            endAttempt();
        }
        if (status > 0) {
            server.setAttribute(STATUS, status);
        }
        server.setAttribute(OUTCOME, outcome.label());
        server.setAttribute(REASON, reason);
        server.setAttribute(ATTEMPTS, attempts);
        if (outcome != AccessLog.Outcome.OK && outcome != AccessLog.Outcome.REPLAYED) {
            server.setAttribute(ERROR_TYPE, reason);
        }
        if (status >= 500 || outcome == AccessLog.Outcome.INTERRUPTED) {
            server.setStatus(StatusCode.ERROR);
        }
        genAi(server, usage, responseModel);
        server.end();
    }

    private static void genAi(Span span, TokenUsage usage, String responseModel) {
        if (responseModel != null) {
            span.setAttribute(RESPONSE_MODEL, responseModel);
        }
        if (usage != null && usage.hasInput()) {
            span.setAttribute(INPUT_TOKENS, usage.inputTokens());
        }
        if (usage != null && usage.hasOutput()) {
            span.setAttribute(OUTPUT_TOKENS, usage.outputTokens());
        }
    }

    private void endAttempt() {
        if (attemptOpen) {
            attemptOpen = false;
            attempt.end();
        }
    }

    @Override
    public String traceId() {
        return server.getSpanContext().getTraceId();
    }

    @Override
    public String spanId() {
        return server.getSpanContext().getSpanId();
    }

    @Override
    public boolean sampled() {
        return server.getSpanContext().isSampled();
    }

    @Override
    public String attemptSpanId() {
        return attempt == null ? spanId() : attempt.getSpanContext().getSpanId();
    }

    /** Writes into the attempt's upstream headers. */
    private enum HeaderSetter implements TextMapSetter<BiConsumer<String, String>> {
        SETTER;

        @Override
        public void set(BiConsumer<String, String> carrier, String key, String value) {
            if (carrier != null) {
                carrier.accept(key, value);
            }
        }
    }
}
