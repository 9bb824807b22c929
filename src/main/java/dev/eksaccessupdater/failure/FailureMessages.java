package dev.eksaccessupdater.failure;

/** What an AWS error message becomes before it goes into a failure, and so into rejection events and logs. */
public final class FailureMessages {

    /** Long enough for any real AWS error message, short enough to bound events and log lines. */
    public static final int MAX_LENGTH = 400;

    private FailureMessages() {
    }

    /** {@code text} on one line (each run of whitespace one space), cut to {@link #MAX_LENGTH} with "...". */
    public static String oneLine(String text) {
        String line = String.valueOf(text).replaceAll("\\s+", " ").strip();
        return line.length() <= MAX_LENGTH ? line : line.substring(0, MAX_LENGTH - 3) + "...";
    }
}
