package dev.breakwater.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.Arrays;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures what a logger (and its children) logs while open; each line as message plus structured fields. */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(String loggerName) {
        this.logger = (Logger) LoggerFactory.getLogger(loggerName);
        appender.start();
        logger.addAppender(appender);
    }

    /** Starts capturing {@code loggerName} ({@code org.slf4j.Logger.ROOT_LOGGER_NAME} for everything). */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    /** Every captured event as its message followed by its arguments ({@code key=value} for fields). */
    public List<String> lines() {
        return List.copyOf(appender.list).stream()
                .map(event -> event.getFormattedMessage() + " " + Arrays.toString(event.getArgumentArray()))
                .toList();
    }

    /**
     * Every captured event at {@code ERROR}, as its message followed by the class and message of its throwable and
     * of each cause, so that an assertion can look for an exception that was only logged.
     */
    public List<String> errorLines() {
        return List.copyOf(appender.list).stream()
                .filter(event -> event.getLevel() == ch.qos.logback.classic.Level.ERROR)
                .map(event -> {
                    StringBuilder line = new StringBuilder(event.getFormattedMessage());
                    for (var t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
                    }
                    return line.toString();
                })
                .toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
