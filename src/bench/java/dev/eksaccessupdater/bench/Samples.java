package dev.eksaccessupdater.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Latencies in milliseconds and the order statistics the report uses. */
final class Samples {

    private final List<Double> millis = new ArrayList<>();

    void add(long nanos) {
        millis.add(nanos / 1_000_000.0);
    }

    void addMillis(double value) {
        millis.add(value);
    }

    int count() {
        return millis.size();
    }

    double median() {
        return percentile(50);
    }

    double percentile(int percent) {
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        if (percent == 50 && sorted.size() % 2 == 0) {
            return (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank)));
    }

    double min() {
        return percentile(0);
    }
}
