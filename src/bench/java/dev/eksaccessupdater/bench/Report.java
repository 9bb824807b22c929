package dev.eksaccessupdater.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The benchmark's table: each figure with its floor, the ratio and the target; printed and written as Markdown. */
final class Report {

    private record Row(String section, String name, String floor, String reference, String measured, String ratio,
                       String target, String verdict) {
    }

    private record Table(String title, List<String> header, List<List<String>> rows) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Table> tables = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    static String millis(double value) {
        return String.format(Locale.ROOT, "%.0f ms", value);
    }

    /** @param reference the SDK-only figure of the same case, or {@code null} */
    void row(String section, String name, double floor, Double reference, double measured, Double targetRatio) {
        double ratio = measured / floor;
        String target = targetRatio == null ? "" : String.format(Locale.ROOT, "≤ %.2f×", targetRatio);
        String verdict = targetRatio == null ? "" : ratio <= targetRatio ? "met"
                : String.format(Locale.ROOT, "missed by %.0f%%", (ratio / targetRatio - 1) * 100);
        String sdkOnly = reference == null ? "" : String.format(Locale.ROOT, "%s (%.2f×)", millis(reference),
                reference / floor);
        Row row = new Row(section, name, millis(floor), sdkOnly, millis(measured),
                String.format(Locale.ROOT, "%.2f×", ratio), target, verdict);
        rows.add(row);
        System.out.println(String.format(Locale.ROOT, "%-60s %-62s floor %8s SDK only %16s measured %8s ratio %6s %s %s",
                section, name, row.floor(), sdkOnly, row.measured(), row.ratio(), target, verdict));
    }

    void size(double mebibytes, int jars) {
        String verdict = mebibytes <= 11 ? "met" : String.format(Locale.ROOT, "missed by %.1f MiB", mebibytes - 11);
        Row row = new Row("Artefact", "zip of classes + " + jars + " runtime jars, as sam build packs it", "", "",
                String.format(Locale.ROOT, "%.2f MiB", mebibytes), "", "≤ 11 MiB", verdict);
        rows.add(row);
        System.out.println("Artefact: " + row.measured() + " (" + verdict + ")");
    }

    /** A table of its own, printed after the figures' table. */
    void table(String title, List<String> header, List<List<String>> tableRows) {
        Table table = new Table(title, List.copyOf(header), List.copyOf(tableRows));
        tables.add(table);
        System.out.println(title);
        for (List<String> row : tableRows) {
            System.out.println("  " + String.join(" | ", row));
        }
    }

    void note(String note) {
        notes.add(note);
        System.out.println(note);
    }

    String markdown() {
        StringBuilder text = new StringBuilder();
        text.append("| figure | case | floor | SDK only (ratio) | measured | ratio | target | |\n");
        text.append("|---|---|---|---|---|---|---|---|\n");
        for (Row row : rows) {
            text.append("| ").append(row.section()).append(" | ").append(row.name()).append(" | ")
                    .append(row.floor()).append(" | ").append(row.reference()).append(" | ").append(row.measured()).append(" | ").append(row.ratio())
                    .append(" | ").append(row.target()).append(" | ").append(row.verdict()).append(" |\n");
        }
        text.append('\n');
        for (Table table : tables) {
            text.append(table.title()).append(":\n\n| ").append(String.join(" | ", table.header())).append(" |\n|");
            text.append("---|".repeat(table.header().size())).append('\n');
            for (List<String> row : table.rows()) {
                text.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            text.append('\n');
        }
        for (String note : notes) {
            text.append("- ").append(note).append('\n');
        }
        text.append("- Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, Java ")
                .append(System.getProperty("java.runtime.version")).append(' ')
                .append(System.getProperty("java.vm.name")).append(", ").append(System.getProperty("os.name"))
                .append(' ').append(System.getProperty("os.arch")).append(".\n");
        return text.toString();
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "# eks-access-updater benchmark\n\n" + markdown());
    }
}
