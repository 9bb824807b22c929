package dev.eksaccessupdater.policy;

import java.util.regex.Pattern;

/**
 * One glob of {@code ALLOWED_KUBERNETES_GROUPS}: {@code *} matches any run of characters, {@code ?} one
 * character, everything else only itself. Matching is exact: no case folding, no trimming.
 */
public record GroupPattern(String glob, Pattern regex) {

    /** Matches every group: what an empty {@code ALLOWED_KUBERNETES_GROUPS} means. */
    public static final GroupPattern ANY = of("*");

    public static GroupPattern of(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char character : glob.toCharArray()) {
            if (character == '*' || character == '?') {
                if (!literal.isEmpty()) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(character == '*' ? ".*" : ".");
            } else {
                literal.append(character);
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return new GroupPattern(glob, Pattern.compile(regex.toString(), Pattern.DOTALL));
    }

    public boolean matches(String group) {
        return regex.matcher(group).matches();
    }

    @Override
    public String toString() {
        return glob;
    }
}
