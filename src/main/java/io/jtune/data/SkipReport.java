package io.jtune.data;

import io.jtune.JtuneException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records dropped on the way, grouped by reason: how many, and the first one as an example
 * (where it came from and what was wrong). Printed once as a summary; when nothing is left it
 * becomes the error that explains why.
 */
public final class SkipReport {
    private record Entry(int count, String firstOrigin, String firstDetail) {}

    private final Map<String, Entry> byReason = new LinkedHashMap<>();

    /** Counts one dropped record. {@code reason} groups records; {@code detail} is kept for the first. */
    public synchronized void skip(String reason, String origin, String detail) {
        Entry e = byReason.get(reason);
        byReason.put(reason, e == null ? new Entry(1, origin, detail) : new Entry(e.count + 1, e.firstOrigin, e.firstDetail));
    }

    public synchronized void addAll(SkipReport other) {
        other.byReason.forEach((reason, e) -> {
            Entry mine = byReason.get(reason);
            byReason.put(reason, mine == null ? e : new Entry(mine.count + e.count, mine.firstOrigin, mine.firstDetail));
        });
    }

    public synchronized int total() {
        return byReason.values().stream().mapToInt(Entry::count).sum();
    }

    public synchronized int count(String reason) {
        Entry e = byReason.get(reason);
        return e == null ? 0 : e.count;
    }

    public synchronized boolean isEmpty() {
        return byReason.isEmpty();
    }

    /** One line per reason: "  12 x reason (first: file:line: detail)". Empty when nothing was skipped. */
    public synchronized String summary() {
        StringBuilder sb = new StringBuilder();
        byReason.forEach((reason, e) -> sb.append(String.format("  %d x %s (first: %s: %s)%n",
                e.count, reason, e.firstOrigin, e.firstDetail)));
        return sb.toString();
    }

    /** The error for "nothing left": why every record was dropped, and where the formats are described. */
    public JtuneException nothingLeft(String what) {
        if (isEmpty()) {
            return new JtuneException("No example in " + what + ": its files hold no records (is a file empty?)."
                    + " See docs/data.md for the dataset formats.");
        }
        return new JtuneException("No valid example left in " + what + ". Every record was dropped:"
                + System.lineSeparator() + summary()
                + "See docs/data.md for the dataset formats.");
    }
}
