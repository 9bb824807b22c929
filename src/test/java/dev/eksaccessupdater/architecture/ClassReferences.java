package dev.eksaccessupdater.architecture;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The classes a compiled class refers to, read from its constant pool as jdeps does: every class entry, and every
 * class named in a field, method or generic signature or an annotation (JVMS 4.4,
 * https://docs.oracle.com/javase/specs/jvms/se17/html/jvms-4.html#jvms-4.4). Names are in internal form
 * ({@code dev/eksaccessupdater/request/AccessChangeRequest}).
 */
final class ClassReferences {

    private static final int MAGIC = 0xCAFEBABE;
    /** A class named in a descriptor or signature: {@code Lpackage/Name;} or {@code Lpackage/Name<...>;}. */
    private static final Pattern DESCRIBED_CLASS = Pattern.compile("L([\\p{javaJavaIdentifierPart}/$]+)[;<]");

    private ClassReferences() {
    }

    /** Every class that {@code classFile} names, itself included, in internal form. */
    static Set<String> of(byte[] classFile) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("not a class file");
            }
            in.readUnsignedShort(); // minor version
            in.readUnsignedShort(); // major version
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            int[] classNameIndexes = new int[count];
            int classes = 0;
            for (int index = 1; index < count; index++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[index] = in.readUTF();
                    case 7 -> classNameIndexes[classes++] = in.readUnsignedShort();
                    case 8, 16, 19, 20 -> in.skipNBytes(2);
                    case 15 -> in.skipNBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                    case 5, 6 -> {
                        in.skipNBytes(8);
                        index++; // a long or a double takes two entries
                    }
                    default -> throw new IllegalArgumentException("unknown constant pool tag " + tag);
                }
            }
            Set<String> names = new TreeSet<>();
            for (int i = 0; i < classes; i++) {
                addClassEntry(utf8[classNameIndexes[i]], names);
            }
            for (String text : utf8) {
                if (text != null) {
                    Matcher described = DESCRIBED_CLASS.matcher(text);
                    while (described.find()) {
                        names.add(described.group(1));
                    }
                }
            }
            return names;
        } catch (IOException truncated) {
            throw new IllegalArgumentException("truncated class file", truncated);
        }
    }

    /** A class entry names a class ({@code a/B}) or an array type ({@code [La/B;}, {@code [I}). */
    private static void addClassEntry(String name, Set<String> names) {
        if (!name.startsWith("[")) {
            names.add(name);
            return;
        }
        Matcher element = DESCRIBED_CLASS.matcher(name);
        if (element.find()) {
            names.add(element.group(1));
        }
    }
}
