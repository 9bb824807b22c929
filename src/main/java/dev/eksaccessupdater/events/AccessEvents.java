package dev.eksaccessupdater.events;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.eksaccessupdater.eks.AccessEntry;
import dev.eksaccessupdater.failure.ReasonCode;
import dev.eksaccessupdater.json.Json;
import dev.eksaccessupdater.request.RequestSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Builds the event details of docs/contract.md section 5 (schemas in {@code schemas/}), and the access entry JSON kept
 * with a completed claim. Details are unmodifiable ordered maps; fields whose value is unknown are left out,
 * never sent as {@code null}.
 */
public final class AccessEvents {

    /** Bounds the rejection reason; the schema allows this much. */
    static final int MAX_REASON_LENGTH = 1024;

    private AccessEvents() {
    }

    /**
     * @param previous the entry as read under the lease before the update
     * @param metadata the request's metadata; {@code null} counts as empty
     */
    public static AccessEvent updated(String clientRequestToken, AccessEntry entry, AccessEntry previous,
                                      Map<String, String> metadata) {
        return updated(clientRequestToken, entry, previous, metadata, Map.of());
    }

    /**
     * @param grantFields a time-bound grant's {@code expiresAt} and {@code grantedGroups}, or an expiry's
     *     {@code expiryOf} and {@code expiredGroups} (docs/contract.md section 8), in that order; empty otherwise
     */
    public static AccessEvent updated(String clientRequestToken, AccessEntry entry, AccessEntry previous,
                                      Map<String, String> metadata, Map<String, Object> grantFields) {
        Objects.requireNonNull(clientRequestToken, "clientRequestToken");
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(previous, "previous");
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("clientRequestToken", clientRequestToken);
        detail.put("accessEntry", accessEntryMap(entry));
        Map<String, Object> before = new LinkedHashMap<>();
        before.put("kubernetesGroups", previous.kubernetesGroups());
        putIfKnown(before, "username", previous.username());
        detail.put("previous", Collections.unmodifiableMap(before));
        detail.putAll(grantFields);
        detail.put("metadata", metadata == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metadata)));
        return new AccessEvent(AccessEvent.ACCESS_ENTRY_UPDATED, Collections.unmodifiableMap(detail),
                resources(entry.accessEntryArn()));
    }

    /**
     * The {@code Access Entry Updated} event recorded with an {@code APPLIED} claim, to be published unchanged by
     * whoever finishes the claim.
     *
     * @param detailJson the detail as {@link #toJson} wrote it
     */
    @SuppressWarnings("unchecked")
    public static AccessEvent recordedUpdate(String detailJson) {
        Map<String, Object> detail;
        try {
            detail = JSON.std.mapFrom(detailJson);
        } catch (IOException e) {
            throw new UncheckedIOException("the recorded event detail is not JSON", e);
        }
        Object entry = detail.get("accessEntry");
        Object arn = entry instanceof Map<?, ?> map ? map.get("accessEntryArn") : null;
        return new AccessEvent(AccessEvent.ACCESS_ENTRY_UPDATED, Collections.unmodifiableMap(detail),
                resources(arn instanceof String text ? text : null));
    }

    private static List<String> resources(String accessEntryArn) {
        return accessEntryArn == null ? List.of() : List.of(accessEntryArn);
    }

    /**
     * @param clientRequestToken the token in use, or {@code null} to take the one read from the message, if any
     * @param readable what could be read of the message; its {@code null} fields are left out of the detail
     */
    public static AccessEvent rejected(String clientRequestToken, String messageId, RequestSummary readable,
                                       ReasonCode code, String message) {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
        RequestSummary known = readable == null ? RequestSummary.empty() : readable;
        Map<String, Object> detail = new LinkedHashMap<>();
        putIfKnown(detail, "clientRequestToken",
                clientRequestToken != null ? clientRequestToken : known.clientRequestToken());
        putIfKnown(detail, "messageId", messageId);
        putIfKnown(detail, "clusterName", known.clusterName());
        putIfKnown(detail, "principalArn", known.principalArn());
        Map<String, Object> reason = new LinkedHashMap<>();
        reason.put("code", code.name());
        reason.put("message", message.length() <= MAX_REASON_LENGTH ? message
                : message.substring(0, MAX_REASON_LENGTH - 3) + "...");
        detail.put("reason", Collections.unmodifiableMap(reason));
        if (known.metadata() != null) {
            detail.put("metadata", Collections.unmodifiableMap(new TreeMap<>(known.metadata())));
        }
        // The entry's ARN is not known for a rejected change, so the event names no resource.
        return new AccessEvent(AccessEvent.ACCESS_CHANGE_REJECTED, Collections.unmodifiableMap(detail), List.of());
    }

    /** The {@code accessEntry} object of an {@code Access Entry Updated} detail, as JSON text. */
    public static String accessEntryJson(AccessEntry entry) {
        return toJson(accessEntryMap(entry));
    }

    /** An event detail (or part of one) as JSON text, as it is published and kept with a completed claim. */
    public static String toJson(Map<String, Object> value) {
        return Json.write(value);
    }

    private static Map<String, Object> accessEntryMap(AccessEntry entry) {
        Map<String, Object> map = new LinkedHashMap<>();
        putIfKnown(map, "clusterName", entry.clusterName());
        putIfKnown(map, "principalArn", entry.principalArn());
        map.put("kubernetesGroups", entry.kubernetesGroups());
        putIfKnown(map, "accessEntryArn", entry.accessEntryArn());
        putIfKnown(map, "createdAt", entry.createdAt() == null ? null : entry.createdAt().toString());
        putIfKnown(map, "modifiedAt", entry.modifiedAt() == null ? null : entry.modifiedAt().toString());
        // Sorted (as metadata is), so equal entries always give equal JSON.
        map.put("tags", Collections.unmodifiableMap(new TreeMap<>(entry.tags())));
        putIfKnown(map, "username", entry.username());
        putIfKnown(map, "type", entry.type());
        return Collections.unmodifiableMap(map);
    }

    private static void putIfKnown(Map<String, Object> map, String name, Object value) {
        if (value != null) {
            map.put(name, value);
        }
    }
}
