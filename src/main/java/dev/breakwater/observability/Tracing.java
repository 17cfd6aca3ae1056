package dev.breakwater.observability;

import dev.breakwater.config.Provider;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's OpenTelemetry tracing: an SDK tracer provider exporting OTLP over HTTP/protobuf, or {@link #OFF}.
 *
 * <p>Spans go to a {@link BatchSpanProcessor}: ending a span on an event loop only puts it in a bounded queue
 * (2048 spans; a full queue drops spans, never waits), and the processor's own thread exports them in batches with
 * the JDK's HTTP client. A collector that is slow or down costs spans, never a request. New traces are sampled by
 * {@code sample-ratio}; a request that arrives with a {@code traceparent} follows its sampled flag.
 */
public final class Tracing {
    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> SERVICE_VERSION = AttributeKey.stringKey("service.version");
    /** How long {@link #shutdown} waits for the last spans to be exported. */
    private static final long FLUSH_SECONDS = 5;

    /** Tracing off: requests get {@link RequestTrace#OFF}, and the client's {@code traceparent} passes as it came. */
    public static final Tracing OFF = new Tracing(null, null);

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(SdkTracerProvider provider, Tracer tracer) {
        this.provider = provider;
        this.tracer = tracer;
    }

    /** Starts exporting to {@code settings}' collector; {@code version} is Breakwater's, for the resource. */
    public static Tracing start(TracingSettings settings, String version) {
        settings.warnings().forEach(w -> LOG.warn("tracing: {}", w));
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder().setEndpoint(settings.endpoint());
        settings.headers().forEach(exporter::addHeader);
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault()
                        .merge(Resource.create(
                                Attributes.of(SERVICE_NAME, settings.serviceName(), SERVICE_VERSION, version))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter.build()).build())
                .build();
        LOG.info(
                "tracing: spans go to {} as {} (sample ratio {})",
                settings.endpoint(),
                settings.serviceName(),
                settings.sampleRatio());
        Tracer tracer = provider.get("dev.breakwater", version);
        warmUp(tracer);
        return new Tracing(provider, tracer);
    }

    /**
     * Loads the classes a request's spans need here, at start, rather than on an event loop with the first request:
     * a span under a parent that was not sampled, which the sampler drops and nothing exports.
     */
    private static void warmUp(Tracer tracer) {
        Context unsampled = W3CTraceContextPropagator.getInstance()
                .extract(
                        Context.root(),
                        new String[] {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", null},
                        ClientHeaders.GETTER);
        Span span = tracer.spanBuilder("warm-up")
                .setParent(unsampled)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(SERVICE_NAME, "warm-up")
                .startSpan();
        W3CTraceContextPropagator.getInstance().inject(unsampled.with(span), new StringBuilder(), (sb, k, v) -> {});
        span.addEvent("warm-up", Attributes.empty());
        span.end();
    }

    /** True when requests are traced. */
    public boolean enabled() {
        return tracer != null;
    }

    /**
     * Opens the server span of a request, continuing the client's trace when it sent a valid {@code traceparent}.
     *
     * @param route the route's name
     * @param provider the route's provider (its {@code gen_ai.system})
     * @param traceparent the client's {@code traceparent}, or null
     * @param tracestate the client's {@code tracestate}, or null
     */
    public RequestTrace request(
            String method,
            String path,
            String route,
            Provider provider,
            String requestId,
            String traceparent,
            String tracestate) {
        if (tracer == null) {
            return RequestTrace.OFF;
        }
        Context parent = traceparent == null
                ? Context.root()
                : W3CTraceContextPropagator.getInstance()
                        .extract(Context.root(), new String[] {traceparent, tracestate}, ClientHeaders.GETTER);
        return new SpanTrace(tracer, parent, method, path, route, provider, requestId);
    }

    /** Exports the spans still queued and stops; waits up to 5 s. Call it off the event loops. */
    public CompletableFuture<Void> shutdown() {
        if (provider == null) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> provider.shutdown().join(FLUSH_SECONDS, TimeUnit.SECONDS));
    }

    /** Reads the client's two trace headers from {@code {traceparent, tracestate}}. */
    private enum ClientHeaders implements TextMapGetter<String[]> {
        GETTER;

        private static final List<String> KEYS = List.of("traceparent", "tracestate");

        @Override
        public Iterable<String> keys(String[] carrier) {
            return KEYS;
        }

        @Override
        public String get(String[] carrier, String key) {
            if (carrier == null) {
                return null;
            }
            return "traceparent".equals(key) ? carrier[0] : "tracestate".equals(key) ? carrier[1] : null;
        }
    }
}
