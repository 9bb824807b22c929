package dev.eksaccessupdater.local;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One AWS CLI command the local stack prints for its user, kept as arguments so that tests run exactly what is
 * printed.
 *
 * @param purpose one line saying what it shows or does
 * @param arguments the command, {@code aws} first
 */
public record CliCommand(String purpose, List<String> arguments) {

    /** Arguments that a POSIX shell takes as they are. */
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@,+-]+");

    public CliCommand {
        arguments = List.copyOf(arguments);
    }

    /** The command as a user pastes it into bash or zsh. */
    public String render() {
        return arguments.stream().map(CliCommand::quote).collect(Collectors.joining(" "));
    }

    private static String quote(String argument) {
        if (SHELL_SAFE.matcher(argument).matches()) {
            return argument;
        }
        return "'" + argument.replace("'", "'\\''") + "'";
    }
}
