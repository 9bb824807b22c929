package dev.eksaccessupdater.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the local stack prints is what a shell runs. */
class CliCommandTest {

    @Test
    void render_whenArgumentsNeedQuoting_quotesOnlyThose() {
        CliCommand command = new CliCommand("test", List.of("aws", "sqs", "send-message", "--message-body",
                "{\"a\": \"it's\"}"));

        assertThat(command.render()).isEqualTo("aws sqs send-message --message-body '{\"a\": \"it'\\''s\"}'");
        assertThat(command.needsShell()).isFalse();
    }

    @Test
    void render_whenAnArgumentIsASubstitution_letsTheShellRunTheInnerCommand()
            throws IOException, InterruptedException {
        CliCommand inner = new CliCommand("inner", List.of("printf", "%s", "two words"));
        CliCommand outer = new CliCommand("outer", List.of("printf", "[%s]", CliCommand.substitution(inner)));

        String printed = outer.render();
        Process shell = new ProcessBuilder("bash", "-c", printed).redirectErrorStream(true).start();
        assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThat(printed).isEqualTo("printf '[%s]' \"$(printf '%s' 'two words')\"");
        assertThat(outer.needsShell()).isTrue();
        assertThat(new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("[two words]");
    }

    @Test
    void substitution_whenTheInnerCommandHoldsADoubleQuote_isRefused() {
        CliCommand inner = new CliCommand("inner", List.of("echo", "say \"hi\""));

        assertThatThrownBy(() -> CliCommand.substitution(inner))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot substitute a command with double quotes");
    }
}
