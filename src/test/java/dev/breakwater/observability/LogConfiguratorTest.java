package dev.breakwater.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class LogConfiguratorTest {

    @Test
    void setsUpJsonLinesOnTheBatchingAppenderAtTheEnvironmentsLevel() {
        LoggerContext context = new LoggerContext();
        LogConfigurator configurator = new LogConfigurator(Map.of("BREAKWATER_LOG_LEVEL", "warn"), null);
        configurator.setContext(context);

        assertThat(configurator.configure(context)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);

        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.WARN);
        assertThat(root.getAppender("STDOUT")).isInstanceOfSatisfying(BatchingStdoutAppender.class, out -> {
            assertThat(out.isStarted()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> out.getEncoder().isStarted());
            assertThat(out.getEncoder()).isInstanceOf(LogstashEncoder.class);
        });
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.vertx").getLevel()).isEqualTo(Level.WARN);
        context.stop();
    }

    @Test
    void defaultsToInfo() {
        LoggerContext context = new LoggerContext();
        new LogConfigurator(Map.of(), null).configure(context);

        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
        context.stop();
    }

    @Test
    void jsonLinesCarryNeitherTheNumericLevelNorTheVersion() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter()); // what LoggerFactory's context has; events read it
        var encoder = LogConfigurator.jsonEncoder(context);
        encoder.start();
        LoggingEvent event = new LoggingEvent(
                getClass().getName(), context.getLogger("breakwater.access"), Level.INFO, "request", null, null);

        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

        assertThat(line).contains("\"message\":\"request\"", "\"level\":\"INFO\"");
        assertThat(line).doesNotContain("level_value", "@version");
        context.stop();
    }

    @Test
    void stepsAsideForANamedConfigurationFile() {
        LoggerContext context = new LoggerContext();
        LogConfigurator configurator = new LogConfigurator(Map.of(), "/etc/breakwater/logback.xml");

        assertThat(configurator.configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT"))
                .isNull();
    }
}
