package dev.breakwater.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import net.logstash.logback.marker.SingleFieldAppendingMarker;
import org.slf4j.helpers.MessageFormatter;

/**
 * The {@code text} log format, for a human at a terminal: time, level, logger, message, then every structured
 * field as {@code key=value} (the JSON format carries the same fields as JSON properties).
 *
 * <p>Field values come from clients (a path, a {@code traceparent}), so a value is quoted when it holds a space,
 * {@code =}, a quote, a backslash or a control character, with {@code "} and {@code \} escaped and control
 * characters written as escapes. Otherwise {@code traceparent: 00-abc status=200} would read as a forged
 * {@code status} field, and a CR/LF in a value as a forged log line.
 */
public final class TextLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160)
                .append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp())))
                .append(' ')
                .append(event.getLevel())
                .append(' ')
                .append(event.getLoggerName())
                .append(' ');
        Object[] arguments = event.getArgumentArray();
        String message = event.getMessage() == null ? "null" : event.getMessage();
        if (arguments == null || arguments.length == 0) {
            line.append(escapeControls(event.getFormattedMessage()));
        } else if (message.indexOf('{') < 0) {
            line.append(escapeControls(message));
            for (Object argument : arguments) {
                line.append(' ').append(render(argument));
            }
        } else {
            Object[] rendered = new Object[arguments.length];
            for (int i = 0; i < arguments.length; i++) {
                rendered[i] = arguments[i] instanceof Throwable ? arguments[i] : render(arguments[i]);
            }
            line.append(escapeControls(
                    MessageFormatter.arrayFormat(message, rendered).getMessage()));
        }
        if (event.getThrowableProxy() != null) {
            line.append(' ')
                    .append(event.getThrowableProxy().getClassName())
                    .append(": ")
                    .append(escapeControls(
                            String.valueOf(event.getThrowableProxy().getMessage())));
        }
        return line.append(System.lineSeparator()).toString();
    }

    /** A structured field as {@code key=value} with the value quoted when needed; anything else escaped. */
    static String render(Object argument) {
        if (argument instanceof LogFields fields) {
            StringBuilder shown = new StringBuilder(256);
            fields.forEachField((name, value) -> {
                if (!shown.isEmpty()) {
                    shown.append(' ');
                }
                shown.append(name).append('=').append(value(String.valueOf(value)));
            });
            return shown.toString();
        }
        if (argument instanceof SingleFieldAppendingMarker field) {
            // the marker shows itself as NAME=VALUE, the value already formatted (arrays and all)
            String shown = field.toStringSelf();
            String prefix = field.getFieldName() + "=";
            String value = shown.startsWith(prefix) ? shown.substring(prefix.length()) : shown;
            return field.getFieldName() + "=" + value(value);
        }
        return escapeControls(String.valueOf(argument));
    }

    /** The value bare when it cannot be misread, else in double quotes with escapes. */
    static String value(String value) {
        if (!value.isEmpty() && value.chars().noneMatch(TextLayout::needsQuotes)) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> appendEscaped(out, c);
            }
        }
        return out.append('"').toString();
    }

    private static boolean needsQuotes(int c) {
        return c == ' ' || c == '=' || c == '"' || c == '\\' || Character.isISOControl(c) || isLineBreak(c);
    }

    /** Control characters (CR and LF above all) as escapes, so that nothing can start a forged line. */
    private static String escapeControls(String text) {
        if (text.chars().noneMatch(c -> Character.isISOControl(c) || isLineBreak(c))) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            appendEscaped(out, text.charAt(i));
        }
        return out.toString();
    }

    private static void appendEscaped(StringBuilder out, char c) {
        switch (c) {
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            default -> {
                if (Character.isISOControl(c) || isLineBreak(c)) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
    }

    /** Unicode's line and paragraph separators, which some viewers break lines at. */
    private static boolean isLineBreak(int c) {
        return c == '\u2028' || c == '\u2029';
    }
}
