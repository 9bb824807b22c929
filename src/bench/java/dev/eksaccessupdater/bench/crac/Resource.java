package dev.eksaccessupdater.bench.crac;

/** The shape of {@code jdk.crac.Resource}, which {@code org.crac} drives by reflection. */
public interface Resource {

    void beforeCheckpoint(Context<? extends Resource> context) throws Exception;

    void afterRestore(Context<? extends Resource> context) throws Exception;
}
