package io.jtune.bench;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns: numbers right-aligned, text left-aligned. */
public final class TextTable {
    private final String[] header;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    public TextTable(String... header) {
        this.header = header;
        this.rightAligned = new boolean[header.length];
    }

    /** Marks columns (by index) whose cells are numbers. */
    public TextTable numeric(int... columns) {
        for (int c : columns) rightAligned[c] = true;
        return this;
    }

    public void add(String... cells) {
        if (cells.length != header.length) throw new IllegalArgumentException("expected " + header.length + " cells");
        rows.add(cells);
    }

    public String render() {
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) width[c] = header[c].length();
        for (String[] r : rows) for (int c = 0; c < r.length; c++) width[c] = Math.max(width[c], r[c].length());
        StringBuilder sb = new StringBuilder();
        line(sb, header, width);
        String[] rule = new String[header.length];
        for (int c = 0; c < header.length; c++) rule[c] = "-".repeat(width[c]);
        line(sb, rule, width);
        for (String[] r : rows) line(sb, r, width);
        return sb.toString();
    }

    private void line(StringBuilder sb, String[] cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) l.append("  ");
            String pad = " ".repeat(width[c] - cells[c].length());
            l.append(rightAligned[c] ? pad + cells[c] : cells[c] + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
