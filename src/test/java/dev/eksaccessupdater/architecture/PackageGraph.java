package dev.eksaccessupdater.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Which package of a code base uses which, and the cycles among them: the packages that reach one another through
 * their uses (strongly connected components, found with Tarjan's algorithm).
 *
 * @param uses each package and the other packages its classes refer to
 */
record PackageGraph(Map<String, Set<String>> uses) {

    PackageGraph {
        Map<String, Set<String>> copy = new TreeMap<>();
        uses.forEach((from, to) -> copy.put(from, Collections.unmodifiableSortedSet(new TreeSet<>(to))));
        uses = Collections.unmodifiableMap(copy);
    }

    /** The packages under {@code basePackage} of the class files below {@code classes}, and their uses of each other. */
    static PackageGraph ofClassFiles(Path classes, String basePackage) {
        String base = basePackage.replace('.', '/');
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".class")).toList()) {
                String own = classes.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                String from = packageOf(own.substring(0, own.length() - ".class".length()));
                Set<String> targets = new TreeSet<>();
                for (String name : ClassReferences.of(Files.readAllBytes(file))) {
                    String target = packageOf(name);
                    if (isUnder(target, base) && !target.equals(from)) {
                        targets.add(target.replace('/', '.'));
                    }
                }
                if (isUnder(from, base)) {
                    uses.computeIfAbsent(from.replace('/', '.'), ignored -> new TreeSet<>()).addAll(targets);
                }
            }
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
        return new PackageGraph(uses);
    }

    /** Each set of two or more packages that use one another, directly or through others; sorted. */
    List<SortedSet<String>> cycles() {
        return new Tarjan().components().stream().filter(component -> component.size() > 1).toList();
    }

    /** The uses among the packages of {@code cycle}, one package a line: {@code a -> [b, c]}. */
    String usesWithin(Set<String> cycle) {
        StringBuilder description = new StringBuilder();
        for (String from : new TreeSet<>(cycle)) {
            SortedSet<String> within = new TreeSet<>(uses.getOrDefault(from, Set.of()));
            within.retainAll(cycle);
            description.append(from).append(" -> ").append(within).append('\n');
        }
        return description.toString();
    }

    private static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    private static boolean isUnder(String internalPackage, String base) {
        return internalPackage.equals(base) || internalPackage.startsWith(base + "/");
    }

    /** Tarjan's strongly connected components over {@link #uses}, each sorted, in the order they close. */
    private final class Tarjan {

        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> lowLink = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<SortedSet<String>> components = new ArrayList<>();

        List<SortedSet<String>> components() {
            SortedSet<String> packages = new TreeSet<>(uses.keySet());
            uses.values().forEach(packages::addAll);
            for (String node : packages) {
                if (!index.containsKey(node)) {
                    connect(node);
                }
            }
            return components;
        }

        private void connect(String node) {
            index.put(node, index.size());
            lowLink.put(node, index.get(node));
            stack.push(node);
            onStack.add(node);
            for (String next : uses.getOrDefault(node, Set.of())) {
                if (!index.containsKey(next)) {
                    connect(next);
                    lowLink.put(node, Math.min(lowLink.get(node), lowLink.get(next)));
                } else if (onStack.contains(next)) {
                    lowLink.put(node, Math.min(lowLink.get(node), index.get(next)));
                }
            }
            if (lowLink.get(node).equals(index.get(node))) {
                SortedSet<String> component = new TreeSet<>();
                String member;
                do {
                    member = stack.pop();
                    onStack.remove(member);
                    component.add(member);
                } while (!member.equals(node));
                components.add(component);
            }
        }
    }
}
