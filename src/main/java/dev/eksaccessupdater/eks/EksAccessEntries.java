package dev.eksaccessupdater.eks;

import dev.eksaccessupdater.failure.AccessChangeException;
import dev.eksaccessupdater.failure.FailureMessages;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.failure.RejectionException;
import dev.eksaccessupdater.failure.RetryableException;
import dev.eksaccessupdater.time.CallBudget;
import dev.eksaccessupdater.time.CallTimeouts;
import java.util.Objects;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eks.model.InvalidParameterException;
import software.amazon.awssdk.services.eks.model.InvalidRequestException;
import software.amazon.awssdk.services.eks.model.ResourceNotFoundException;
import software.amazon.awssdk.services.eks.model.UpdateAccessEntryRequest;

/** {@link AccessEntries} over the EKS API, with every SDK error classified as a rejection or a retry. */
public final class EksAccessEntries implements AccessEntries {

    private static final String DESCRIBE = "DescribeAccessEntry";
    private static final String UPDATE = "UpdateAccessEntry";

    private final EksClient eks;

    public EksAccessEntries(EksClient eks) {
        this.eks = Objects.requireNonNull(eks, "eks");
    }

    @Override
    public AccessEntry describe(String clusterName, String principalArn, CallBudget budget) {
        software.amazon.awssdk.services.eks.model.AccessEntry entry;
        try {
            entry = eks.describeAccessEntry(request -> request.clusterName(clusterName).principalArn(principalArn)
                            .overrideConfiguration(CallTimeouts.within(budget, "EKS " + DESCRIBE)))
                    .accessEntry();
        } catch (SdkException e) {
            throw classify(DESCRIBE, e);
        }
        return toDomain(DESCRIBE, entry);
    }

    @Override
    public AccessEntry update(AccessEntryUpdate update, CallBudget budget) {
        // UpdateAccessEntry replaces: whatever is left out is reset (docs/contract.md section 2.2), so groups are
        // always sent, even [].
        UpdateAccessEntryRequest.Builder request = UpdateAccessEntryRequest.builder()
                .clusterName(update.clusterName())
                .principalArn(update.principalArn())
                .kubernetesGroups(update.kubernetesGroups())
                .clientRequestToken(update.eksClientRequestToken())
                .overrideConfiguration(CallTimeouts.within(budget, "EKS " + UPDATE));
        if (update.username() != null) {
            request.username(update.username());
        }
        software.amazon.awssdk.services.eks.model.AccessEntry entry;
        try {
            entry = eks.updateAccessEntry(request.build()).accessEntry();
        } catch (SdkException e) {
            throw classifyUpdate(e);
        }
        return toDomain(UPDATE, entry);
    }

    private static AccessEntry toDomain(String operation, software.amazon.awssdk.services.eks.model.AccessEntry entry) {
        if (entry == null) {
            // No member of the response is required by the API model; without the entry there is nothing to publish.
            throw new RetryableException("EKS " + operation + " answered without an accessEntry");
        }
        return new AccessEntry(entry.clusterName(), entry.principalArn(),
                entry.hasKubernetesGroups() ? entry.kubernetesGroups() : null,
                entry.accessEntryArn(), entry.createdAt(), entry.modifiedAt(),
                entry.hasTags() ? entry.tags() : null,
                entry.username(), entry.type());
    }

    /**
     * The three errors EKS returns for a request that cannot succeed as sent are permanent (docs/contract.md
     * section 3); everything else (5xx, throttling, access denied, timeouts, connection failures) may pass on a later
     * delivery.
     */
    static AccessChangeException classify(String operation, SdkException e) {
        String description = explain(e);
        if (e instanceof ResourceNotFoundException) {
            return new RejectionException(ReasonCode.NOT_FOUND, "EKS " + operation + ": " + description, e);
        }
        if (e instanceof InvalidParameterException) {
            return new RejectionException(ReasonCode.INVALID_PARAMETER, "EKS " + operation + ": " + description, e);
        }
        if (e instanceof InvalidRequestException) {
            return new RejectionException(ReasonCode.INVALID_REQUEST, "EKS " + operation + ": " + description, e);
        }
        return new RetryableException("EKS " + operation + " failed: " + description, e);
    }

    /**
     * As {@link #classify}, and says whether the update may have been applied all the same. EKS checks a request
     * before it changes anything, so a 4xx answer means "not applied" (docs/contract.md section 4.1, "Release") -
     * but only when it answered the first attempt: after an earlier attempt timed out or got a 5xx, the entry may
     * have been changed by that attempt, whatever the last one was told.
     */
    static AccessChangeException classifyUpdate(SdkException e) {
        AccessChangeException classified = classify(UPDATE, e);
        boolean firstAttemptRefused = e instanceof AwsServiceException service
                && service.statusCode() >= 400 && service.statusCode() < 500
                && Integer.valueOf(1).equals(e.numAttempts());
        if (firstAttemptRefused) {
            return classified;
        }
        return RetryableException.outcomeUnknown(classified.getMessage() + " (the update may have been applied)", e);
    }

    private static String explain(SdkException e) {
        if (e instanceof AwsServiceException serviceException && serviceException.awsErrorDetails() != null) {
            AwsErrorDetails details = serviceException.awsErrorDetails();
            String code = details.errorCode() == null
                    ? serviceException.getClass().getSimpleName() : details.errorCode();
            String message = details.errorMessage() == null ? "(no message)" : details.errorMessage();
            return code + " (HTTP " + serviceException.statusCode() + "): " + FailureMessages.oneLine(message);
        }
        return e.getClass().getSimpleName() + ": " + FailureMessages.oneLine(e.getMessage());
    }
}
