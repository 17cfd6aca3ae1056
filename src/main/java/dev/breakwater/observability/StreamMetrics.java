package dev.breakwater.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A route's meters for streamed ({@code text/event-stream}) responses: time to the first event the client gets,
 * events per stream, streams that failed before commit (and were retried, invisibly to the client), and streams
 * broken after commit, by cause. Causes are a short fixed vocabulary, so label cardinality stays bounded.
 */
public final class StreamMetrics {
    private static final Duration[] FIRST_EVENT_BUCKETS = {
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofSeconds(2),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        Duration.ofSeconds(120)
    };

    private final String route;
    private final MeterRegistry registry;
    private final Timer firstEvent;
    private final DistributionSummary events;
    private final Map<String, Counter> retried = new ConcurrentHashMap<>();
    private final Map<String, Counter> broken = new ConcurrentHashMap<>();

    StreamMetrics(String route, MeterRegistry registry) {
        this.route = route;
        this.registry = registry;
        this.firstEvent = Timer.builder("breakwater_stream_first_event")
                .tag("route", route)
                .description("From a streamed request's arrival until its first event is sent to the client "
                        + "(time to first token, retries before commit included)")
                .serviceLevelObjectives(FIRST_EVENT_BUCKETS)
                .register(registry);
        this.events = DistributionSummary.builder("breakwater_stream_events")
                .tag("route", route)
                .description("Events relayed per streamed response")
                .register(registry);
    }

    /** The stream's first event went to the client {@code nanos} after the request arrived. */
    public void committed(long nanos) {
        firstEvent.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A relayed stream ended (whole or broken) after {@code count} events. */
    public void ended(long count) {
        events.record(count);
    }

    /**
     * A stream failed before its first content event and is retried.
     *
     * @param cause {@code error_event}, {@code cut} or {@code first_event_timeout}
     */
    public void retriedBeforeCommit(String upstream, String cause) {
        count(
                retried,
                "breakwater_stream_retried_before_commit",
                "Streams that failed before their first " + "content event and were retried, unseen by the client",
                upstream,
                cause);
    }

    /**
     * A committed stream broke off.
     *
     * @param cause {@code upstream_cut}, {@code idle_timeout}, {@code deadline} or {@code upstream_error_event}
     */
    public void brokenAfterCommit(String upstream, String cause) {
        count(
                broken,
                "breakwater_stream_broken",
                "Streams that broke off after their first event reached the " + "client, by cause",
                upstream,
                cause);
    }

    private void count(Map<String, Counter> counters, String name, String help, String upstream, String cause) {
        counters.computeIfAbsent(
                        upstream + '\0' + cause,
                        k -> Counter.builder(name)
                                .tag("route", route)
                                .tag("upstream", upstream == null ? "" : upstream)
                                .tag("cause", cause)
                                .description(help)
                                .register(registry))
                .increment();
    }
}
