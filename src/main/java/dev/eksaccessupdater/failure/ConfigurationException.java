package dev.eksaccessupdater.failure;

/**
 * A setting of docs/contract.md section 6 is missing or invalid; the message names it. Thrown only at initialisation.
 */
public final class ConfigurationException extends RuntimeException {

    public ConfigurationException(String message) {
        super(message);
    }
}
