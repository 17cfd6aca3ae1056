package dev.breakwater.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import net.logstash.logback.encoder.StreamingEncoder;

/**
 * Writes log lines to standard output from one background thread, a batch at a time: one {@code write} per batch,
 * and under load one wake-up of the writer per {@linkplain #setLinger linger} (1 ms) instead of one per line. The
 * logging thread (an event loop) only queues the event, and never waits: when the queue is full the line is dropped,
 * and the number dropped is written once there is room.
 *
 * <p>Why not logback's {@code AsyncAppender}: its worker sleeps on the queue after each line it writes, so on a busy
 * proxy every access line an event loop logs wakes it (a futex wake and a context switch), and the console appender
 * under it makes one {@code write} per line. At 25,000 requests/s on 2 cores that was 14 % of the CPU. Here, after a
 * batch the writer sleeps for the linger time without asking to be woken, so lines that arrive meanwhile cost a
 * queue insert only; it asks to be woken only once the queue has stayed empty, so an idle proxy has no timer ticking.
 */
public final class BatchingStdoutAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    private static final int FLUSH_BYTES = 64 * 1024;
    private static final long STOP_WAIT_MILLIS = 1_000;

    private final AtomicReference<Encoder<ILoggingEvent>> encoder = new AtomicReference<>();
    private int queueSize = 8192;
    private long lingerNanos = Duration.ofMillis(1).toNanos();
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private final AtomicLong dropped = new AtomicLong();
    /** True while the writer is parked until woken: only then does a new line unpark it. */
    private volatile boolean waitingForWork;

    private Thread writer;
    /** Where batches go; looked up for each batch, as logback's console target looks up System.out. */
    private Supplier<PrintStream> target = () -> System.out;

    /**
     * The encoder that turns an event into its line; may be replaced while running. One not yet started is started
     * by the writer thread before its next batch, so that its set-up (for the JSON encoder, Jackson's
     * {@code ObjectMapper}: about 0.15 s at start) runs beside the rest of the start rather than before it.
     */
    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder.set(encoder);
    }

    public Encoder<ILoggingEvent> getEncoder() {
        return encoder.get();
    }

    /** How many events may wait for the writer; more are dropped (8192 by default). */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** How long the writer lets lines gather after a batch before it looks again (1 ms by default). */
    public void setLinger(Duration linger) {
        this.lingerNanos = linger.toNanos();
    }

    /** Lines dropped because the queue was full and not yet reported by a notice line. */
    long dropped() {
        return dropped.get();
    }

    @Override
    public void start() {
        if (encoder.get() == null) {
            addError("No encoder set for the appender named [" + name + "].");
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        writer = new Thread(this::writeUntilStopped, "breakwater-log-writer");
        writer.setDaemon(true);
        super.start();
        writer.start();
    }

    /** Stops taking lines and waits (up to 1 s) until the writer has written every queued one. */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        LockSupport.unpark(writer);
        try {
            writer.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        // What the event refers to (MDC, the formatted message) is fixed now, on the thread that logged it.
        event.prepareForDeferredProcessing();
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
            return;
        }
        if (waitingForWork) {
            LockSupport.unpark(writer);
        }
    }

    private void writeUntilStopped() {
        startIfNeeded(encoder.get());
        List<ILoggingEvent> batch = new ArrayList<>();
        ByteArrayOutputStream lines = new ByteArrayOutputStream(FLUSH_BYTES);
        while (true) {
            // Read before the queue is drained: lines dropped so far found it full of the ones drained now, so
            // the notice goes after them.
            long lost = dropped.getAndSet(0);
            queue.drainTo(batch);
            if (!batch.isEmpty() || lost > 0) {
                write(batch, lost, lines);
                batch.clear();
                if (isStarted()) {
                    LockSupport.parkNanos(this, lingerNanos);
                }
                continue;
            }
            if (!isStarted()) {
                return;
            }
            waitingForWork = true;
            // Checked again after saying so: a line queued before the flag was seen set is found here.
            if (queue.isEmpty() && isStarted()) {
                LockSupport.park(this);
            }
            waitingForWork = false;
        }
    }

    private void write(List<ILoggingEvent> batch, long lost, ByteArrayOutputStream lines) {
        Encoder<ILoggingEvent> current = startIfNeeded(encoder.get());
        for (ILoggingEvent event : batch) {
            encode(current, event, lines);
            if (lines.size() >= FLUSH_BYTES) {
                flush(lines);
            }
        }
        if (lost > 0) {
            encode(current, notice(Level.WARN, lost + " log lines dropped: the log writer's queue was full"), lines);
        }
        flush(lines);
    }

    /**
     * {@code current}, started if it was not; or, when it fails to start, plain text lines instead, so that a broken
     * encoder costs the JSON format and not every line after it (and not the writer thread).
     */
    private Encoder<ILoggingEvent> startIfNeeded(Encoder<ILoggingEvent> current) {
        if (current.isStarted()) {
            return current;
        }
        try {
            current.start();
            return current;
        } catch (RuntimeException | LinkageError e) {
            addError("The log encoder failed to start; writing plain text lines instead", e);
            // Said in the log itself, after the lines already queued: logback prints status errors only at start-up.
            append(notice(Level.ERROR, "the log encoder failed to start (" + e + "); writing plain text lines"));
            Encoder<ILoggingEvent> text = LoggingSetup.encoderOf(new TextLayout(), (LoggerContext) getContext());
            // Unless the encoder was replaced meanwhile (a reload): then that one is used from the next batch.
            encoder.compareAndSet(current, text);
            return text;
        }
    }

    private void encode(Encoder<ILoggingEvent> current, ILoggingEvent event, ByteArrayOutputStream lines) {
        try {
            if (current instanceof StreamingEncoder<?>) {
                // The JSON encoder writes straight into the batch, without a byte array per line.
                @SuppressWarnings("unchecked")
                StreamingEncoder<ILoggingEvent> streaming = (StreamingEncoder<ILoggingEvent>) current;
                streaming.encode(event, lines);
            } else {
                lines.writeBytes(current.encode(event));
            }
        } catch (IOException | RuntimeException e) {
            addError("Could not encode a log event", e);
        }
    }

    /** A line from the log writer itself, about the log: lines it dropped, or an encoder that failed. */
    private ILoggingEvent notice(Level level, String message) {
        Logger logger = ((LoggerContext) getContext()).getLogger(BatchingStdoutAppender.class);
        LoggingEvent notice = new LoggingEvent(Logger.FQCN, logger, level, message, null, null);
        notice.prepareForDeferredProcessing();
        return notice;
    }

    /** One write for everything gathered. */
    private void flush(ByteArrayOutputStream lines) {
        if (lines.size() == 0) {
            return;
        }
        PrintStream out = target.get();
        try {
            lines.writeTo(out);
        } catch (IOException e) {
            addError("Could not write log lines", e);
        }
        out.flush();
        lines.reset();
    }

    /** For tests: writes to {@code target} instead of standard output. */
    void setTarget(PrintStream target) {
        this.target = () -> target;
    }

    /** For tests: whether the writer is parked until a line wakes it (no timer pending). */
    boolean idle() {
        return waitingForWork && writer.getState() == Thread.State.WAITING;
    }
}
