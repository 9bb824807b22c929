package dev.eksaccessupdater.testing;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The {@link Context} of one invocation outside Lambda: names as Lambda forms them, a remaining time counting down in
 * real time to a deadline, and a logger writing each call's text to a sink, as the runtime writes it to CloudWatch.
 */
public final class TestContext implements Context {

    private final String requestId;
    private final String functionName;
    private final String functionArn;
    private final String logStreamName;
    private final int memoryLimitInMb;
    private final long deadlineNanos;
    private final LambdaLogger logger;

    /** @param deadlineNanos on the {@link System#nanoTime()} scale */
    public TestContext(String requestId, String functionName, String functionArn, String logStreamName,
                       int memoryLimitInMb, long deadlineNanos, Consumer<String> logSink) {
        this.requestId = requestId;
        this.functionName = functionName;
        this.functionArn = functionArn;
        this.logStreamName = logStreamName;
        this.memoryLimitInMb = memoryLimitInMb;
        this.deadlineNanos = deadlineNanos;
        this.logger = new SinkLogger(logSink);
    }

    /** An invocation with {@code remaining} time left from now, whose log lines are dropped. */
    public static TestContext remaining(Duration remaining) {
        return new TestContext(UUID.randomUUID().toString(), "eks-access-updater",
                "arn:aws:lambda:us-east-1:111122223333:function:eks-access-updater", "test", 1024,
                System.nanoTime() + remaining.toNanos(), text -> { });
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
