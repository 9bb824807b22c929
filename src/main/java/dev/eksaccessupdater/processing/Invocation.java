package dev.eksaccessupdater.processing;

import java.time.Instant;

/**
 * The invocation a batch runs in.
 *
 * @param deadline when Lambda stops the invocation: claims taken in it are held until then, and no new
 *                 message is started close to it
 */
public record Invocation(Instant deadline) {
}
