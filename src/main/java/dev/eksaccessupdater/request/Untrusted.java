package dev.eksaccessupdater.request;

/**
 * Renders text taken from a message for a rejection message. Rejections travel into events and logs, so an
 * echoed value is cut short and anything that could forge or hide text (control, format, line and paragraph
 * separator and unpaired surrogate characters, quotes, backslashes) is escaped.
 */
public final class Untrusted {

    public static final int MAX_ECHOED_CHARACTERS = 64;

    private Untrusted() {
    }

    /** The value in double quotes, at most {@value #MAX_ECHOED_CHARACTERS} characters of it. */
    static String quote(String value) {
        return '"' + escape(value, MAX_ECHOED_CHARACTERS) + '"';
    }

    /** The value without quotes, at most {@code maxCharacters} characters of it, then "..." when cut. */
    public static String escape(String value, int maxCharacters) {
        StringBuilder escaped = new StringBuilder();
        int shown = 0;
        for (int index = 0; index < value.length(); shown++) {
            if (shown == maxCharacters) {
                return escaped.append("...").toString();
            }
            int codePoint = value.codePointAt(index);
            index += Character.charCount(codePoint);
            if (codePoint == '"' || codePoint == '\\') {
                escaped.append('\\').append((char) codePoint);
            } else if (needsEscape(codePoint)) {
                escaped.append(String.format("\\u%04x", codePoint));
            } else {
                escaped.appendCodePoint(codePoint);
            }
        }
        return escaped.toString();
    }

    private static boolean needsEscape(int codePoint) {
        int type = Character.getType(codePoint);
        // U+2028 and U+2029 are line breaks to many log viewers and to JavaScript, though not control characters.
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
