package dev.eksaccessupdater.events;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One event for the bus: its {@code DetailType}, its detail as ordered JSON values (maps, lists, strings),
 * and the resources it is about.
 */
public record AccessEvent(String detailType, Map<String, Object> detail, List<String> resources) {

    public static final String ACCESS_ENTRY_UPDATED = "Access Entry Updated";
    public static final String ACCESS_CHANGE_REJECTED = "Access Change Rejected";

    public AccessEvent {
        Objects.requireNonNull(detailType, "detailType");
        Objects.requireNonNull(detail, "detail");
        resources = List.copyOf(resources);
    }
}
