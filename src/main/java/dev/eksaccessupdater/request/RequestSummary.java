package dev.eksaccessupdater.request;

import java.util.Map;

/**
 * What could be read of a message, valid or not: the identifying fields that rejection events and log
 * lines carry. Any component is {@code null} when the message did not hold a valid value for it.
 */
public record RequestSummary(String clusterName, String principalArn, String clientRequestToken,
                             Map<String, String> metadata) {

    public RequestSummary {
        metadata = metadata == null ? null : Map.copyOf(metadata);
    }

    public static RequestSummary empty() {
        return new RequestSummary(null, null, null, null);
    }
}
