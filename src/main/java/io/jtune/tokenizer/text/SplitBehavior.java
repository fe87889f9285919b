package io.jtune.tokenizer.text;

import java.util.List;

/**
 * What happens to the delimiters when a piece is split (HF's SplitDelimiterBehavior).
 * The input is the piece cut at match boundaries: {@code parts[i]} with {@code delimiter[i]} true
 * for a matched (delimiter) span.
 */
public enum SplitBehavior {
    REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

    void apply(List<String> parts, List<Boolean> delimiter, List<String> out) {
        int n = parts.size();
        switch (this) {
            case REMOVED -> {
                for (int i = 0; i < n; i++) if (!delimiter.get(i)) add(out, parts.get(i));
            }
            case ISOLATED -> {
                for (String p : parts) add(out, p);
            }
            case CONTIGUOUS -> {
                StringBuilder run = null;
                for (int i = 0; i < n; i++) {
                    if (delimiter.get(i)) {
                        if (run == null) run = new StringBuilder();
                        run.append(parts.get(i));
                    } else {
                        if (run != null) add(out, run.toString());
                        run = null;
                        add(out, parts.get(i));
                    }
                }
                if (run != null) add(out, run.toString());
            }
            case MERGED_WITH_PREVIOUS -> {
                StringBuilder current = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    current.append(parts.get(i));
                    if (delimiter.get(i)) {
                        add(out, current.toString());
                        current.setLength(0);
                    }
                }
                add(out, current.toString());
            }
            case MERGED_WITH_NEXT -> {
                StringBuilder current = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    if (delimiter.get(i) && !current.isEmpty()) {
                        add(out, current.toString());
                        current.setLength(0);
                    }
                    current.append(parts.get(i));
                }
                add(out, current.toString());
            }
        }
    }

    private static void add(List<String> out, String piece) {
        if (!piece.isEmpty()) out.add(piece);
    }
}
