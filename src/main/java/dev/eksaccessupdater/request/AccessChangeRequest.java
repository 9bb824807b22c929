package dev.eksaccessupdater.request;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One valid access-change request (docs/contract.md section 2), after parsing and validation.
 *
 * @param clientRequestToken the request's token, or the SQS message id when the message gave none
 * @param username the new username, or {@code null} to keep the current one
 * @param metadata carried into events, never part of the request's identity
 * @param expiresAt when the added groups are to be removed again, exactly as sent ({@code 2026-12-04T18:00:00Z});
 *     {@code null} for a permanent change (docs/contract.md section 8)
 * @param expiryOf the token of the time-bound grant this request expires; {@code null} for any other request
 */
public record AccessChangeRequest(String clusterName, String principalArn, GroupChange groupChange,
                                  String username, String clientRequestToken, Map<String, String> metadata,
                                  String expiresAt, String expiryOf) {

    public AccessChangeRequest {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(principalArn, "principalArn");
        Objects.requireNonNull(groupChange, "groupChange");
        Objects.requireNonNull(clientRequestToken, "clientRequestToken");
        metadata = Map.copyOf(metadata);
    }

    /** A request without time bounds. */
    public AccessChangeRequest(String clusterName, String principalArn, GroupChange groupChange, String username,
                               String clientRequestToken, Map<String, String> metadata) {
        this(clusterName, principalArn, groupChange, username, clientRequestToken, metadata, null, null);
    }

    /** A time-bound grant: its added groups are removed again at {@link #expiresAt}. */
    public boolean isTimeBound() {
        return expiresAt != null;
    }

    /** An expiry: removes what the grant {@link #expiryOf} added, where no later request decided otherwise. */
    public boolean isExpiry() {
        return expiryOf != null;
    }

    /** {@link #expiresAt} as an instant; only for a time-bound grant. */
    public Instant expiryInstant() {
        return Instant.parse(Objects.requireNonNull(expiresAt, "expiresAt"));
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
