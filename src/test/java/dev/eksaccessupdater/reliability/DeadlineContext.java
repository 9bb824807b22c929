package dev.eksaccessupdater.reliability;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A Lambda {@link Context} whose remaining time counts down, in real time, from what the test gives. */
final class DeadlineContext implements Context {

    private final long deadlineNanos;

    private DeadlineContext(Duration remaining) {
        this.deadlineNanos = System.nanoTime() + remaining.toNanos();
    }

    static DeadlineContext remaining(Duration remaining) {
        return new DeadlineContext(remaining);
    }

    @Override
    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    @Override
    public String getAwsRequestId() {
        return "reliability-request";
    }

    @Override
    public String getLogGroupName() {
        return "/aws/lambda/eks-access-updater";
    }

    @Override
    public String getLogStreamName() {
        return "reliability";
    }

    @Override
    public String getFunctionName() {
        return "eks-access-updater";
    }

    @Override
    public String getFunctionVersion() {
        return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:111122223333:function:eks-access-updater";
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
    public int getMemoryLimitInMB() {
        return 512;
    }

    @Override
    public LambdaLogger getLogger() {
        return new LambdaLogger() {
            @Override
            public void log(String message) {
            }

            @Override
            public void log(byte[] message) {
                log(new String(message, StandardCharsets.UTF_8));
            }
        };
    }
}
