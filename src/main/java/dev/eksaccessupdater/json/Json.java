package dev.eksaccessupdater.json;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The project's one JSON writer, for event details and log lines: a JSON generator, so untrusted text is escaped and
 * cannot forge a line or a field.
 */
public final class Json {

    private Json() {
    }

    /** {@code object} as one line of JSON; its values are maps, lists, strings, numbers and booleans. */
    public static String write(Map<String, ?> object) {
        try {
            return JSON.std.asString(object);
        } catch (IOException impossible) {
            // Only maps, lists and plain values go in, so this is a bug, not an I/O condition.
            throw new UncheckedIOException("could not write JSON", impossible);
        }
    }
}
