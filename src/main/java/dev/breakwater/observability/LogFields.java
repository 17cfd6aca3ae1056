package dev.breakwater.observability;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.BiConsumer;
import net.logstash.logback.argument.StructuredArgument;

/**
 * Many fields of one log line as a single logging argument: the JSON encoder writes them as top-level fields, in
 * order, exactly as one {@code kv(name, value)} argument each would, and {@link TextLayout} shows them as
 * {@code name=value} pairs. One object per line instead of one marker per field: the access log writes a line for
 * every request, on the event loop.
 */
abstract class LogFields implements StructuredArgument {
    /** Calls {@code field} with each name and value, in the line's order; a value may be null. */
    abstract void forEachField(BiConsumer<String, Object> field);

    @Override
    public final void writeTo(JsonGenerator generator) throws IOException {
        try {
            forEachField((name, value) -> write(generator, name, value));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** As a {@code kv} marker writes its value: {@code writeObject} gives null, strings and numbers as such. */
    private static void write(JsonGenerator generator, String name, Object value) {
        try {
            generator.writeFieldName(name);
            generator.writeObject(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code name=value, name=value, ...}, as a list of {@code kv} arguments prints. */
    @Override
    public final String toString() {
        StringBuilder text = new StringBuilder(256);
        forEachField((name, value) -> {
            if (!text.isEmpty()) {
                text.append(", ");
            }
            text.append(name).append('=').append(value);
        });
        return text.toString();
    }
}
