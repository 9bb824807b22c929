package dev.eksaccessupdater.observability;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** Writes log objects with a JSON generator, so untrusted text is escaped and cannot forge a line or a field. */
final class Json {

    private Json() {
    }

    static String write(Map<String, ?> object) {
        try {
            return JSON.std.asString(object);
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
    }
}
