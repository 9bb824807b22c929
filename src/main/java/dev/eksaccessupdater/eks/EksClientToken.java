package dev.eksaccessupdater.eks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The {@code clientRequestToken} sent to EKS (SPEC section 2.2): derived from the request's token and hash,
 * so a retried apply of the same request sends the same EKS token, while a different request reusing an
 * expired token never replays EKS's answer to the old one. Always 68 characters, inside EKS's 33-126.
 */
public final class EksClientToken {

    private static final String PREFIX = "eau-";

    private EksClientToken() {
    }

    public static String derive(String requestToken, String requestHash) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(requestToken.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(requestHash.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }
}
