package dev.eksaccessupdater.docs;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code ```json} blocks of README.md and docs/*.md, each with where it stands and the name that an
 * {@code <!-- event-pattern: name -->} line just above it gives it.
 *
 * <p>A block is an <em>event pattern</em> when it is an object with {@code source}, {@code detail-type} or
 * {@code $or} at its top level, and is not an example event. It is an <em>example event</em> when its
 * {@code detail-type} is a string and its {@code detail} an object, as in an event EventBridge delivers (in a
 * pattern, every value is an array or an object).
 */
final class DocumentedJson {

    static final Path ROOT = Path.of("").toAbsolutePath().normalize();

    /** The marker naming the event pattern whose block follows it (blank lines between are allowed). */
    private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*event-pattern:\\s*(\\S+)\\s*-->\\s*$");
    private static final Pattern OPENING_FENCE = Pattern.compile("^\\s{0,3}(`{3,}|~{3,})\\s*([^`\\s]*).*$");

    /**
     * @param source the document, relative to the repository root
     * @param line the line of the opening fence, counted from 1
     * @param marker the name the marker above gives the block, or {@code null} when none does
     * @param text the block's content
     */
    record Block(String source, int line, String marker, String text) {

        String where() {
            return source + ":" + line;
        }

        /** The parsed content; throws naming the block when it is not JSON. */
        Object value() {
            try {
                return JSON.std.anyFrom(text);
            } catch (IOException notJson) {
                throw new IllegalStateException("the ```json block at " + where() + " is not JSON", notJson);
            }
        }

        boolean isExampleEvent() {
            return value() instanceof Map<?, ?> object && object.get("detail-type") instanceof String
                    && object.get("detail") instanceof Map<?, ?>;
        }

        boolean isEventPattern() {
            return value() instanceof Map<?, ?> object && !isExampleEvent()
                    && (object.containsKey("source") || object.containsKey("detail-type") || object.containsKey("$or"));
        }
    }

    /**
     * A marker that names no {@code ```json} block: the block below it is missing or of another language.
     *
     * @param line counted from 1
     */
    record StrayMarker(String source, int line, String name) {
        String where() {
            return source + ":" + line;
        }
    }

    private DocumentedJson() {
    }

    /** README.md and every docs/*.md, in a stable order. */
    static List<Path> documents() {
        List<Path> documents = new ArrayList<>();
        documents.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(path -> path.getFileName().toString().endsWith(".md")).sorted().forEach(documents::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }

    /** Every {@code ```json} block of every document. */
    static List<Block> blocks() {
        return documents().stream().flatMap(document -> blocks(name(document), read(document)).stream()).toList();
    }

    /** Every marker of every document that names no {@code ```json} block. */
    static List<StrayMarker> strayMarkers() {
        return documents().stream()
                .flatMap(document -> strayMarkers(name(document), read(document)).stream()).toList();
    }

    static List<Block> blocks(String source, String markdown) {
        List<Block> blocks = new ArrayList<>();
        scan(source, markdown, blocks, new ArrayList<>());
        return blocks;
    }

    static List<StrayMarker> strayMarkers(String source, String markdown) {
        List<StrayMarker> stray = new ArrayList<>();
        scan(source, markdown, new ArrayList<>(), stray);
        return stray;
    }

    /** One pass over the lines: fenced blocks are skipped whole, so a marker or fence inside one counts for nothing. */
    private static void scan(String source, String markdown, List<Block> blocks, List<StrayMarker> stray) {
        String[] lines = markdown.split("\r?\n", -1);
        StrayMarker pending = null;
        for (int index = 0; index < lines.length; index++) {
            Matcher opening = OPENING_FENCE.matcher(lines[index]);
            Matcher marker = MARKER.matcher(lines[index]);
            if (opening.matches()) {
                int closing = closingFence(lines, index, opening.group(1));
                if (opening.group(2).equals("json")) {
                    String text = String.join("\n", List.of(lines).subList(index + 1, closing));
                    blocks.add(new Block(source, index + 1, pending == null ? null : pending.name(), text));
                } else if (pending != null) {
                    stray.add(pending);
                }
                pending = null;
                index = closing;
            } else if (marker.matches()) {
                if (pending != null) {
                    stray.add(pending);
                }
                pending = new StrayMarker(source, index + 1, marker.group(1));
            } else if (!lines[index].isBlank() && pending != null) {
                stray.add(pending);
                pending = null;
            }
        }
        if (pending != null) {
            stray.add(pending);
        }
    }

    /** The index of the line closing the fence opened at {@code opening}; an unclosed fence runs to the end. */
    private static int closingFence(String[] lines, int opening, String fence) {
        Pattern closing = Pattern.compile("^\\s{0,3}" + Pattern.quote(fence.substring(0, 1)) + "{" + fence.length()
                + ",}\\s*$");
        for (int index = opening + 1; index < lines.length; index++) {
            if (closing.matcher(lines[index]).matches()) {
                return index;
            }
        }
        return lines.length;
    }

    private static String name(Path document) {
        return ROOT.relativize(document).toString();
    }

    private static String read(Path document) {
        try {
            return Files.readString(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
