package dev.eksaccessupdater.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs dynalite: it gets {@link Dynalite} parameters from {@link DynaliteExtension}, and
 * carries the {@code dynalite} tag, which the build runs only with {@code -Pfull} (Node.js needed).
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag("dynalite")
@ExtendWith(DynaliteExtension.class)
public @interface WithDynalite {
}
