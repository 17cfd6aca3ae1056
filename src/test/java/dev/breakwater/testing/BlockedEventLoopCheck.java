package dev.breakwater.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails the test during which a Vert.x thread was blocked. Vert.x's blocked-thread checker logs a warning when an
 * event loop runs one task for longer than its limit; this extension listens to that logger and turns each warning
 * into a failure of the test that was running, with the blocked thread's stack. It is registered for every test
 * through {@code META-INF/services} (autodetection is on in {@code junit-platform.properties}).
 *
 * <p>The proxy under test runs with {@link #vertxOptions()} ({@link TestProxy} passes them), so its event loops
 * are held to {@link #MAX_EVENT_LOOP_EXECUTE_TIME}. Other Vert.x instances in a test (upstreams, clients) keep
 * Vert.x's default limit of 2 s, and a warning from them fails the test too.
 */
public final class BlockedEventLoopCheck
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    /**
     * The longest one event-loop task may run in the proxy under test. A genuine block (a sleep, a wait on a
     * stalled upstream, a {@code join()}) lasts as long as what it waits for, and the tests' stalls and delays
     * run for seconds; what the limit must stay clear of is the slowest honest task on a 2-core CI machine. With a
     * 20 ms limit the whole suite's slowest honest tasks took 91 ms (classes loading on the first request and the
     * first listen of a cold JVM), and at most 72 ms with the build pinned to one core. 300 ms leaves three times
     * that for a GC pause or a descheduled thread, and is still well under Vert.x's default of 2 s.
     */
    public static final Duration MAX_EVENT_LOOP_EXECUTE_TIME = Duration.ofMillis(300);
    /** How often the checker looks; a block is reported at most this long after it passes the limit. */
    public static final Duration CHECK_INTERVAL = Duration.ofMillis(100);
    /** The logger Vert.x 5's {@code io.vertx.core.internal.threadchecker.BlockedThreadChecker} warns on. */
    static final String CHECKER_LOGGER = "io.vertx.core.impl.BlockedThreadChecker";

    private static final int STACK_FRAMES = 12;

    private static final Queue<ILoggingEvent> WARNINGS = new ConcurrentLinkedQueue<>();

    /** Vert.x options that hold event loops to {@link #MAX_EVENT_LOOP_EXECUTE_TIME}, with a stack in each warning. */
    public static VertxOptions vertxOptions() {
        return new VertxOptions()
                .setBlockedThreadCheckInterval(CHECK_INTERVAL.toMillis())
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_EXECUTE_TIME.toMillis())
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                // Vert.x attaches the blocked thread's stack only past this time; the stack is what makes the
                // failure useful, so always attach it.
                .setWarningExceptionTime(1)
                .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        listen();
        fail(context, "before this test class started (left over from the previous class?)");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        fail(context, "before this test started (in @BeforeAll, or between tests)");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        fail(context, "during this test");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        fail(context, "after the last test of this class (in @AfterAll?)");
    }

    /** Attaches the listener to the checker's logger, once per JVM, and makes sure the logger passes warnings. */
    private static synchronized void listen() {
        Logger logger = (Logger) LoggerFactory.getLogger(CHECKER_LOGGER);
        if (logger.getAppender(Listener.NAME) != null) {
            return;
        }
        if (!logger.isEnabledFor(Level.WARN)) {
            logger.setLevel(Level.WARN);
        }
        Listener listener = new Listener();
        listener.setContext(logger.getLoggerContext());
        listener.start();
        logger.addAppender(listener);
    }

    private static void fail(ExtensionContext context, String when) {
        List<ILoggingEvent> events = new ArrayList<>();
        ILoggingEvent next = WARNINGS.poll();
        while (next != null) {
            events.add(next);
            next = WARNINGS.poll();
        }
        if (events.isEmpty()) {
            return;
        }
        // The checker warns again every interval while a thread stays blocked: report each thread once, with its
        // longest warning and the first stack it logged.
        Map<String, ILoggingEvent> longest = new LinkedHashMap<>();
        Map<String, IThrowableProxy> stacks = new LinkedHashMap<>();
        for (ILoggingEvent event : events) {
            String thread = event.getFormattedMessage().split(" ", 3)[1];
            longest.put(thread, event);
            if (event.getThrowableProxy() != null) {
                stacks.putIfAbsent(thread, event.getThrowableProxy());
            }
        }
        StringBuilder message = new StringBuilder("Vert.x thread blocked ")
                .append(when)
                .append(" (")
                .append(context.getDisplayName())
                .append("):");
        longest.forEach((thread, event) -> {
            message.append("\n  ").append(event.getFormattedMessage());
            IThrowableProxy stack = stacks.get(thread);
            if (stack != null) {
                StackTraceElementProxy[] frames = stack.getStackTraceElementProxyArray();
                for (int i = 0; i < Math.min(STACK_FRAMES, frames.length); i++) {
                    message.append("\n      at ").append(frames[i].getStackTraceElement());
                }
                if (frames.length > STACK_FRAMES) {
                    message.append("\n      ...");
                }
            }
        });
        throw new AssertionError(message.toString());
    }

    /** Keeps the checker's warnings until a callback reports them. */
    private static final class Listener extends AppenderBase<ILoggingEvent> {
        static final String NAME = "blocked-event-loop-check";

        Listener() {
            setName(NAME);
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)
                    && event.getFormattedMessage().startsWith("Thread ")) {
                WARNINGS.add(event);
            }
        }
    }
}
