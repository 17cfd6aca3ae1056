package dev.breakwater.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashCommonFieldNames;
import org.slf4j.Logger;

/**
 * Breakwater's logging, set up in code when logback starts (found through {@code META-INF/services}): JSON lines
 * on stdout at {@code BREAKWATER_LOG_LEVEL} (default {@code INFO}), written in batches by one writer thread
 * ({@link BatchingStdoutAppender}), with Netty and Vert.x at {@code WARN}.
 *
 * <p>Why not a {@code logback.xml}: reading one loads logback's XML configurator and the JDK's SAX parser, some
 * 480 classes, which took about 0.4 s of the main thread's CPU at every start (BENCHMARKS.md). A logback
 * configuration file named with {@code -Dlogback.configurationFile} still wins: then this configurator steps
 * aside and logback reads that file.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements ch.qos.logback.classic.spi.Configurator {
    /** The appender's name, which {@link LoggingSetup} looks up to change the format. */
    static final String APPENDER = "STDOUT";

    private final Map<String, String> env;
    private final String configurationFile;

    /** The configurator logback instantiates, reading the process's environment and system properties. */
    public LogConfigurator() {
        this(System.getenv(), System.getProperty("logback.configurationFile"));
    }

    LogConfigurator(Map<String, String> env, String configurationFile) {
        this.env = env;
        this.configurationFile = configurationFile;
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (configurationFile != null && !configurationFile.isBlank()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        BatchingStdoutAppender stdout = new BatchingStdoutAppender();
        stdout.setContext(context);
        stdout.setName(APPENDER);
        stdout.setEncoder(jsonEncoder(context));
        stdout.start();

        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.vertx").setLevel(Level.WARN);
        // Vert.x's WebSocket client warns "Connection evicted" for each handshake connection it closes (a refused
        // or retried upgrade, a session's end); Breakwater's access and retry logs already say what happened.
        context.getLogger("io.vertx.core.http.impl.HttpClientConnectionInternal")
                .setLevel(Level.ERROR);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(env.get("BREAKWATER_LOG_LEVEL"), Level.INFO));
        root.addAppender(stdout);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Logstash's JSON lines, without the numeric level and the {@code @version} field; not started, since
     * {@link BatchingStdoutAppender} starts it on its writer thread.
     */
    static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.getFieldNames().setLevelValue(LogstashCommonFieldNames.IGNORE_FIELD_INDICATOR);
        encoder.getFieldNames().setVersion(LogstashCommonFieldNames.IGNORE_FIELD_INDICATOR);
        return encoder;
    }
}
