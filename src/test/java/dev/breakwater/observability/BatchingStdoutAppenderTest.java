package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import net.logstash.logback.argument.StructuredArguments;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchingStdoutAppenderTest {
    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("test");
    private final Output output = new Output();
    private final BatchingStdoutAppender appender = new BatchingStdoutAppender();

    @AfterEach
    void stop() {
        appender.stop();
        context.stop();
    }

    @Test
    void writesEveryLineInOrderAndStopWaitsForTheQueuedOnes() {
        start(messageEncoder(), 8192, Duration.ofMillis(1));

        IntStream.range(0, 5_000).forEach(i -> logger.info("line {}", i));
        appender.stop();

        assertThat(output.lines())
                .containsExactlyElementsOf(
                        IntStream.range(0, 5_000).mapToObj(i -> "line " + i).toList());
    }

    @Test
    void theJsonEncoderWritesIntoTheBatchWhatItWouldReturnForTheLine() {
        LogstashEncoder json = new LogstashEncoder();
        start(json, 8192, Duration.ofMillis(1));
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);

        logger.info("request {}", StructuredArguments.kv("status", 200));
        logger.warn("give_up");
        appender.stop();

        assertThat(output.lines())
                .containsExactlyElementsOf(events.list.stream()
                        .map(event -> new String(json.encode(event), StandardCharsets.UTF_8).stripTrailing())
                        .toList());
    }

    @Test
    void anEncoderNotYetStartedIsStartedByTheWriterThreadBeforeItsFirstLine() {
        AtomicReference<String> startedOn = new AtomicReference<>();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>() {
            @Override
            public void start() {
                startedOn.set(Thread.currentThread().getName());
                super.start();
            }
        };
        PatternLayout layout = new PatternLayout();
        layout.setPattern("%msg%n");
        layout.setContext(context);
        layout.start();
        encoder.setLayout(layout);
        start(encoder, 8192, Duration.ofMillis(1), false);

        logger.info("first");
        appender.stop();

        assertThat(startedOn.get()).isEqualTo("breakwater-log-writer");
        assertThat(output.lines()).containsExactly("first");
    }

    @Test
    void anEncoderThatFailsToStartGivesWayToPlainTextLinesAndTheWriterGoesOn() {
        LayoutWrappingEncoder<ILoggingEvent> broken = new LayoutWrappingEncoder<>() {
            @Override
            public void start() {
                throw new IllegalStateException("no JSON today");
            }
        };
        start(broken, 8192, Duration.ofMillis(1), false);

        logger.info("first");
        logger.warn("second");
        appender.stop();

        // The notice goes out with the first batch after the failure, before or after "first" as the writer met it.
        List<String> lines = output.lines();
        assertThat(lines).hasSize(3);
        assertThat(lines.stream().filter(line -> !line.contains("ERROR")))
                .satisfiesExactly(
                        line -> assertThat(line).contains("INFO", "first"),
                        line -> assertThat(line).contains("WARN", "second"));
        assertThat(lines)
                .anySatisfy(line -> assertThat(line)
                        .contains("ERROR", "the log encoder failed to start", "no JSON today", "plain text lines"));
        assertThat(appender.getEncoder()).isNotSameAs(broken);
    }

    @Test
    void linesLoggedWhileTheWriterLingersGoOutInOneWrite() {
        start(messageEncoder(), 8192, Duration.ofSeconds(5));
        logger.info("first");
        await().pollInterval(Duration.ofMillis(1)).until(() -> output.lines().size() == 1);

        // The writer now lingers for 5 s before it looks at the queue again, and nothing wakes it meanwhile.
        IntStream.range(0, 100).forEach(i -> logger.info("then {}", i));
        appender.stop();

        assertThat(output.lines()).hasSize(101);
        assertThat(output.writes.get())
                .as("one write for the first line, one for the hundred after it")
                .isEqualTo(2);
    }

    @Test
    void anIdleWriterWaitsToBeWokenAndALineWakesIt() {
        start(messageEncoder(), 8192, Duration.ofMillis(1));
        logger.info("before");
        await().until(appender::idle);

        logger.info("after");

        await().atMost(Duration.ofSeconds(5)).until(() -> output.lines().equals(List.of("before", "after")));
    }

    @Test
    void aFullQueueDropsLinesWithoutBlockingAndSaysHowManyWereDropped() throws InterruptedException {
        CountDownLatch encoding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        EncoderBase<ILoggingEvent> blockingFirst = new EncoderBase<>() {
            private final LayoutWrappingEncoder<ILoggingEvent> delegate = messageEncoder();

            @Override
            public byte[] headerBytes() {
                return null;
            }

            @Override
            public byte[] encode(ILoggingEvent event) {
                if (event.getFormattedMessage().equals("slow")) {
                    encoding.countDown();
                    awaitQuietly(release);
                }
                return delegate.encode(event);
            }

            @Override
            public byte[] footerBytes() {
                return null;
            }
        };
        start(blockingFirst, 10, Duration.ofMillis(1));
        logger.info("slow");
        assertThat(encoding.await(5, TimeUnit.SECONDS)).isTrue();

        IntStream.range(0, 15).forEach(i -> logger.info("queued {}", i)); // 10 fit, 5 do not
        assertThat(appender.dropped()).isEqualTo(5);
        release.countDown();
        appender.stop();

        List<String> lines = output.lines();
        assertThat(lines)
                .containsExactlyElementsOf(concat(
                        List.of("slow"),
                        IntStream.range(0, 10).mapToObj(i -> "queued " + i).toList(),
                        List.of("5 log lines dropped: the log writer's queue was full")));
    }

    private void start(ch.qos.logback.core.encoder.Encoder<ILoggingEvent> encoder, int queueSize, Duration linger) {
        start(encoder, queueSize, linger, true);
    }

    private void start(
            ch.qos.logback.core.encoder.Encoder<ILoggingEvent> encoder,
            int queueSize,
            Duration linger,
            boolean startEncoder) {
        context.setMDCAdapter(new LogbackMDCAdapter()); // what LoggerFactory's context has; events read it
        context.start();
        encoder.setContext(context);
        if (startEncoder) {
            encoder.start();
        }
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setQueueSize(queueSize);
        appender.setLinger(linger);
        appender.setTarget(new PrintStream(output, true, StandardCharsets.UTF_8));
        appender.start();
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
    }

    private LayoutWrappingEncoder<ILoggingEvent> messageEncoder() {
        PatternLayout layout = new PatternLayout();
        layout.setPattern("%msg%n");
        return LoggingSetup.encoderOf(layout, context);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        return Arrays.stream(parts).flatMap(List::stream).toList();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Collects what is written and counts the write calls that reach it. */
    private static final class Output extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public synchronized void write(int b) {
            writes.incrementAndGet();
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.incrementAndGet();
            bytes.write(b, off, len);
        }

        synchronized List<String> lines() {
            String text = bytes.toString(StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
        }
    }
}
