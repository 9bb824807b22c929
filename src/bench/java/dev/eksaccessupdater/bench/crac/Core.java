package dev.eksaccessupdater.bench.crac;

import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint without a snapshot: a stand-in for {@code jdk.crac.Core} that {@code org.crac} loads when the JVM
 * runs with {@code -Dorg.crac.Core.Compat=dev.eksaccessupdater.bench.crac}. {@link #checkpointRestore} calls every
 * registered resource's {@code beforeCheckpoint} (last registered first) and then {@code afterRestore}, as a CRaC
 * JVM and Lambda SnapStart do around the snapshot; the resources are reached through {@code org.crac}'s own weak
 * wrappers, so a resource the application did not keep is gone, as it would be.
 */
public final class Core {

    private static final GlobalContext GLOBAL = new GlobalContext();

    private Core() {
    }

    public static Context<Resource> getGlobalContext() {
        return GLOBAL;
    }

    public static void checkpointRestore() throws CheckpointException, RestoreException {
        GLOBAL.checkpointRestore();
    }

    private static final class GlobalContext extends Context<Resource> {

        private final List<Resource> resources = new ArrayList<>();

        @Override
        public synchronized void register(Resource resource) {
            resources.add(resource);
        }

        @Override
        public void beforeCheckpoint(Context<? extends Resource> context) throws CheckpointException {
            List<Resource> registered = snapshot();
            for (int index = registered.size() - 1; index >= 0; index--) {
                try {
                    registered.get(index).beforeCheckpoint(this);
                } catch (Exception failure) {
                    CheckpointException checkpoint = new CheckpointException();
                    checkpoint.addSuppressed(failure);
                    throw checkpoint;
                }
            }
        }

        @Override
        public void afterRestore(Context<? extends Resource> context) throws RestoreException {
            for (Resource resource : snapshot()) {
                try {
                    resource.afterRestore(this);
                } catch (Exception failure) {
                    RestoreException restore = new RestoreException();
                    restore.addSuppressed(failure);
                    throw restore;
                }
            }
        }

        void checkpointRestore() throws CheckpointException, RestoreException {
            beforeCheckpoint(null);
            afterRestore(null);
        }

        private synchronized List<Resource> snapshot() {
            return List.copyOf(resources);
        }
    }
}
