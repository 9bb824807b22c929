package dev.eksaccessupdater.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The {@link Context} of one local invocation: names as Lambda forms them, a remaining time counting down to the
 * function timeout, and a logger writing each call's text to a sink, as the runtime writes it to CloudWatch.
 */
final class LocalContext implements Context {

    private final String requestId;
    private final String functionName;
    private final String functionArn;
    private final String logStreamName;
    private final int memoryLimitInMb;
    private final long deadlineNanos;
    private final LambdaLogger logger;

    LocalContext(String requestId, String functionName, String functionArn, String logStreamName,
                 int memoryLimitInMb, long deadlineNanos, Consumer<String> logSink) {
        this.requestId = requestId;
        this.functionName = functionName;
        this.functionArn = functionArn;
        this.logStreamName = logStreamName;
        this.memoryLimitInMb = memoryLimitInMb;
        this.deadlineNanos = deadlineNanos;
        this.logger = new SinkLogger(logSink);
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/" + functionName;
    }

    @Override
    public String getLogStreamName() {
        return logStreamName;
    }

    @Override
    public String getFunctionName() {
        return functionName;
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return functionArn;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return null;
    }

    @Override
    public ClientContext getClientContext() {
        return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    @Override
    public int getMemoryLimitInMB() {
        return memoryLimitInMb;
    }

    @Override
    public LambdaLogger getLogger() {
        return logger;
    }

    private static final class SinkLogger implements LambdaLogger {

        private final Consumer<String> sink;

        SinkLogger(Consumer<String> sink) {
            this.sink = sink;
        }

        @Override
        public void log(String message) {
            sink.accept(message);
        }

        @Override
        public void log(byte[] message) {
            sink.accept(new String(message, StandardCharsets.UTF_8));
        }
    }
}
