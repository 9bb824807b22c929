package dev.eksaccessupdater.request;

import java.util.Map;
import java.util.Objects;

/**
 * One valid access-change request (docs/contract.md section 2), after parsing and validation.
 *
 * @param clientRequestToken the request's token, or the SQS message id when the message gave none
 * @param username the new username, or {@code null} to keep the current one
 * @param metadata carried into events, never part of the request's identity
 */
public record AccessChangeRequest(String clusterName, String principalArn, GroupChange groupChange,
                                  String username, String clientRequestToken, Map<String, String> metadata) {

    public AccessChangeRequest {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(principalArn, "principalArn");
        Objects.requireNonNull(groupChange, "groupChange");
        Objects.requireNonNull(clientRequestToken, "clientRequestToken");
        metadata = Map.copyOf(metadata);
    }

    public boolean keepsUsername() {
        return username == null;
    }

    /** True when the request names both the full group set and the username, so nothing needs preserving. */
    public boolean isComplete() {
        return groupChange instanceof GroupChange.Replace && username != null;
    }

    public RequestSummary summary() {
        return new RequestSummary(clusterName, principalArn, clientRequestToken, metadata);
    }
}
