package dev.eksaccessupdater.observability;

import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.nio.charset.StandardCharsets;

/** Where one finished JSON object goes: one CloudWatch Logs event per call. */
@FunctionalInterface
public interface LogOutput {

    /**
     * @param level {@link LogLevel#UNDEFINED} for lines that must never be filtered out (the metrics)
     * @param jsonObject a complete JSON object, without a line break
     */
    void write(LogLevel level, String jsonObject);

    /**
     * The Lambda runtime's own logger, given the object as bytes. The Java runtime interface client wraps a
     * {@code String} message in its own JSON object ({@code "message": "<escaped text>"}) when the log format is
     * JSON, which would hide our fields from Logs Insights and our EMF documents from CloudWatch; {@code byte[]}
     * messages are written as they are, still filtered by {@code AWS_LAMBDA_LOG_LEVEL} (as the runtime's log4j2
     * appender does). See README, "Logging and metrics".
     */
    static LogOutput lambdaRuntime() {
        return (level, jsonObject) -> LambdaRuntime.getLogger()
                .log((jsonObject + "\n").getBytes(StandardCharsets.UTF_8), level);
    }
}
