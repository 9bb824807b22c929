package dev.eksaccessupdater.request;

import dev.eksaccessupdater.digest.Sha256;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collection;

/**
 * The canonical form of a request and its SHA-256 (docs/contract.md section 2.1).
 *
 * <p>The form is compact JSON with a fixed key order: {@code clusterName}, {@code principalArn},
 * {@code clientRequestToken} (the effective one: the SQS message id when the message gave none), then
 * {@code kubernetesGroups}, or {@code addKubernetesGroups} and {@code removeKubernetesGroups} when not empty, then
 * {@code username}, {@code expiresAt} (as sent) and {@code expiryOf} when given. Groups are sorted by
 * {@link String#compareTo} without duplicates. {@code metadata}
 * is left out: who approved a change does not make it a different change. The hash is stored with each claim, so
 * changing this form makes every remembered token conflict with its own redelivery; don't, without a migration.
 */
public final class CanonicalForm {

    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private CanonicalForm() {
    }

    /** Lower-case hex SHA-256 of the canonical form: equal for the same request however it was written. */
    public static String hash(AccessChangeRequest request) {
        return Sha256.hex(text(request));
    }

    /** The canonical form as JSON text. */
    static String text(AccessChangeRequest request) {
        StringWriter text = new StringWriter();
        try (JsonGenerator json = JSON_FACTORY.createGenerator(text)) {
            json.writeStartObject();
            json.writeStringField(RequestFields.CLUSTER_NAME, request.clusterName());
            json.writeStringField(RequestFields.PRINCIPAL_ARN, request.principalArn());
            json.writeStringField(RequestFields.CLIENT_REQUEST_TOKEN, request.clientRequestToken());
            if (request.groupChange() instanceof GroupChange.Replace replace) {
                writeGroups(json, RequestFields.KUBERNETES_GROUPS, replace.groups());
            } else if (request.groupChange() instanceof GroupChange.Modify modify) {
                if (!modify.add().isEmpty()) {
                    writeGroups(json, RequestFields.ADD_KUBERNETES_GROUPS, modify.add());
                }
                if (!modify.remove().isEmpty()) {
                    writeGroups(json, RequestFields.REMOVE_KUBERNETES_GROUPS, modify.remove());
                }
            }
            if (request.username() != null) {
                json.writeStringField(RequestFields.USERNAME, request.username());
            }
            if (request.expiresAt() != null) {
                json.writeStringField(RequestFields.EXPIRES_AT, request.expiresAt());
            }
            if (request.expiryOf() != null) {
                json.writeStringField(RequestFields.EXPIRY_OF, request.expiryOf());
            }
            json.writeEndObject();
        } catch (IOException impossible) {
            throw new UncheckedIOException("writing to a StringWriter failed", impossible);
        }
        return text.toString();
    }

    /** Sorts again rather than trusting the set's order: a SortedSet may carry any comparator. */
    private static void writeGroups(JsonGenerator json, String field, Collection<String> groups) throws IOException {
        json.writeArrayFieldStart(field);
        for (String group : groups.stream().distinct().sorted().toList()) {
            json.writeString(group);
        }
        json.writeEndArray();
    }
}
