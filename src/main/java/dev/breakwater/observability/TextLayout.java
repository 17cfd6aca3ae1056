package dev.breakwater.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The {@code text} log format, for a human at a terminal: time, level, logger, message, then every structured
 * field as {@code key=value} (the JSON format carries the same fields as JSON properties).
 */
public final class TextLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160)
                .append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ')
                .append(event.getLevel()).append(' ')
                .append(event.getLoggerName()).append(' ')
                .append(event.getFormattedMessage());
        Object[] arguments = event.getArgumentArray();
        if (arguments != null && event.getMessage().indexOf('{') < 0) {
            for (Object argument : arguments) {
                line.append(' ').append(argument);
            }
        }
        if (event.getThrowableProxy() != null) {
            line.append(' ').append(event.getThrowableProxy().getClassName()).append(": ")
                    .append(event.getThrowableProxy().getMessage());
        }
        return line.append(System.lineSeparator()).toString();
    }
}
