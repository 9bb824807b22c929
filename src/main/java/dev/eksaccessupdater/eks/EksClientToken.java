package dev.eksaccessupdater.eks;

import dev.eksaccessupdater.digest.Sha256;
import java.util.List;

/**
 * The {@code clientRequestToken} sent to EKS (docs/contract.md section 2.2): derived from the request's token, its
 * hash and the exact groups and username sent. One EKS token is therefore never sent with two parameter sets, and
 * a retry that sends the same parameters sends the same token. Always 68 characters, inside EKS's 33-126.
 */
public final class EksClientToken {

    private static final String PREFIX = "eau-";

    private EksClientToken() {
    }

    /**
     * @param groups the groups sent, in any order (sorted here)
     * @param username the username sent
     */
    public static String derive(String requestToken, String requestHash, List<String> groups, String username) {
        List<String> sorted = groups.stream().sorted().distinct().toList();
        StringBuilder text = new StringBuilder()
                .append(requestToken).append('\0')
                .append(requestHash).append('\0')
                .append(sorted.size());
        // Each value is length-prefixed, so no two parameter sets give the same text.
        sorted.forEach(group -> text.append('\0').append(group.length()).append(':')
                .append(group));
        text.append('\0').append(username == null ? "-" : username.length() + ":" + username);
        return PREFIX + Sha256.hex(text.toString());
    }
}
