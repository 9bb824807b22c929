package dev.eksaccessupdater.request;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/** What a request does to an access entry's Kubernetes groups. */
public sealed interface GroupChange {

    /** The groups the entry will have, given the groups it has now. */
    SortedSet<String> applyTo(Iterable<String> current);

    /** {@code kubernetesGroups}: the complete desired set ({@code []} clears it). */
    record Replace(SortedSet<String> groups) implements GroupChange {
        public Replace {
            groups = Collections.unmodifiableSortedSet(new TreeSet<>(groups));
        }

        @Override
        public SortedSet<String> applyTo(Iterable<String> current) {
            return groups;
        }
    }

    /** {@code addKubernetesGroups} / {@code removeKubernetesGroups}: a change to the current set. */
    record Modify(SortedSet<String> add, SortedSet<String> remove) implements GroupChange {
        public Modify {
            add = Collections.unmodifiableSortedSet(new TreeSet<>(add));
            remove = Collections.unmodifiableSortedSet(new TreeSet<>(remove));
        }

        @Override
        public SortedSet<String> applyTo(Iterable<String> current) {
            TreeSet<String> result = new TreeSet<>();
            current.forEach(result::add);
            result.addAll(add);
            result.removeAll(remove);
            return Collections.unmodifiableSortedSet(result);
        }
    }

    /** No group field in the request: the current groups are kept. */
    record Keep() implements GroupChange {
        @Override
        public SortedSet<String> applyTo(Iterable<String> current) {
            TreeSet<String> result = new TreeSet<>();
            current.forEach(result::add);
            return Collections.unmodifiableSortedSet(result);
        }
    }
}
