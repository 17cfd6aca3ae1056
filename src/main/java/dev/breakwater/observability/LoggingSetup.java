package dev.breakwater.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.breakwater.config.LoggingSpec;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the configured log level and format to logback, the environment ({@code BREAKWATER_LOG_LEVEL},
 * {@code BREAKWATER_LOG_FORMAT}) taking precedence over the file. JSON lines are the default; {@code text} is
 * for a human at a terminal.
 */
public final class LoggingSetup {
    private LoggingSetup() {}

    /** Applies {@code spec}, overridden by the environment. */
    public static void apply(LoggingSpec spec, Map<String, String> env) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        String level = env.getOrDefault("BREAKWATER_LOG_LEVEL", spec.level());
        String format = env.getOrDefault("BREAKWATER_LOG_FORMAT", spec.format()).toLowerCase(Locale.ROOT);
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
        if (context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(LogConfigurator.APPENDER)
                instanceof BatchingStdoutAppender out) {
            boolean wantText = format.equals("text");
            boolean isText = out.getEncoder() instanceof LayoutWrappingEncoder;
            if (wantText != isText) {
                out.setEncoder(wantText ? textEncoder(context) : LogConfigurator.jsonEncoder(context));
            }
        }
    }

    /**
     * Writes out every queued line and stops logging: called just before the process exits, when the writer
     * thread (a daemon) would otherwise be cut off with the last lines still queued.
     */
    public static void flushAndStop() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.stop();
        }
    }

    private static Encoder<ILoggingEvent> textEncoder(LoggerContext context) {
        return encoderOf(new TextLayout(), context);
    }

    /** {@code layout} started and wrapped in a started encoder, as logback's configuration file would do it. */
    static LayoutWrappingEncoder<ILoggingEvent> encoderOf(LayoutBase<ILoggingEvent> layout, LoggerContext context) {
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        return encoder;
    }
}
