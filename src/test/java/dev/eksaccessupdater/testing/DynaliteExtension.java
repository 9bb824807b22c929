package dev.eksaccessupdater.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link Dynalite} parameters (of constructors, lifecycle and test methods) to one dynalite shared by the
 * whole test run: started on first use, stopped when the run ends. Tests share the process, so each should
 * create its own table. Use it through {@link WithDynalite}.
 */
public final class DynaliteExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(Dynalite.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == Dynalite.class;
    }

    @Override
    public Dynalite resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return shared(extensionContext);
    }

    /**
     * The run's dynalite. It sits in the root context's store, which closes {@link AutoCloseable} values when the
     * run ends (JUnit 5.13 and later).
     */
    public static Dynalite shared(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Dynalite.class, type -> Dynalite.start(), Dynalite.class);
    }
}
