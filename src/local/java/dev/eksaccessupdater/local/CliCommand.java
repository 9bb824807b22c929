package dev.eksaccessupdater.local;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One AWS CLI command the local stack prints for its user, kept as arguments so that tests run exactly what is
 * printed. An argument made by {@link #substitution} is a shell command substitution: such a command needs a shell
 * ({@link #needsShell}), and tests run its {@link #render rendered} line with one.
 *
 * @param purpose one line saying what it shows or does
 * @param arguments the command, {@code aws} first
 */
public record CliCommand(String purpose, List<String> arguments) {

    /** Arguments that a POSIX shell takes as they are. */
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@,+-]+");
    /** {@code $(...)} around a rendered command that holds no double quote, backslash or backquote. */
    private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\([^\"\\\\`]*\\)");

    public CliCommand {
        arguments = List.copyOf(arguments);
    }

    /** An argument that a shell replaces with what {@code command} prints (its output's trailing newline removed). */
    public static String substitution(CliCommand command) {
        String argument = "$(" + command.render() + ")";
        if (!SUBSTITUTION.matcher(argument).matches()) {
            throw new IllegalArgumentException("cannot substitute a command with double quotes, backslashes or "
                    + "backquotes: " + command.render());
        }
        return argument;
    }

    /** True when an argument is a {@link #substitution}: only a shell runs the {@link #render rendered} line right. */
    public boolean needsShell() {
        return arguments.stream().anyMatch(argument -> SUBSTITUTION.matcher(argument).matches());
    }

    /** The command as a user pastes it into bash or zsh. */
    public String render() {
        return arguments.stream().map(CliCommand::quote).collect(Collectors.joining(" "));
    }

    private static String quote(String argument) {
        if (SHELL_SAFE.matcher(argument).matches()) {
            return argument;
        }
        if (SUBSTITUTION.matcher(argument).matches()) {
            return '"' + argument + '"';
        }
        return "'" + argument.replace("'", "'\\''") + "'";
    }
}
