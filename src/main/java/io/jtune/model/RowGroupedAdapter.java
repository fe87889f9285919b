package io.jtune.model;

import io.jtune.nn.Kernels;
import java.util.Arrays;

/**
 * One linear module's adapter parts for a batch whose rows belong to different adapters (batched
 * decoding): the base projection runs once over every row, then each run of consecutive rows gets
 * its own adapter's part (or none). Each part sees exactly the rows and the partial output a pass
 * with that adapter alone would give it, so a sequence's result does not depend on its neighbours.
 * Forward only: decoding never trains.
 */
final class RowGroupedAdapter implements ModuleAdapter {
    /** Rows [start, start + rows) use {@code part} (null: the base alone). */
    record Run(int start, int rows, ModuleAdapter part) {}

    private final Run[] runs;
    private final int in, out;
    private final int keptWidth;

    RowGroupedAdapter(Run[] runs, int in, int out) {
        this.runs = runs;
        this.in = in;
        this.out = out;
        int widest = 0;
        for (Run r : runs) if (r.part() != null) widest = Math.max(widest, r.part().keptWidth());
        this.keptWidth = widest;
    }

    @Override public int keptWidth() { return keptWidth; }

    @Override public float dropout() { return 0; }

    @Override
    public void forward(Kernels k, float[] x, boolean dropped, float[] y, int n, float[] kept) {
        for (Run r : runs) {
            if (r.part() == null) continue;
            float[] xs = Arrays.copyOfRange(x, r.start() * in, (r.start() + r.rows()) * in);
            float[] ys = Arrays.copyOfRange(y, r.start() * out, (r.start() + r.rows()) * out);
            r.part().forward(k, xs, dropped, ys, r.rows(), new float[r.rows() * r.part().keptWidth()]);
            System.arraycopy(ys, 0, y, r.start() * out, ys.length);
        }
    }

    @Override
    public void recompute(Kernels k, float[] x, int n, float[] kept) {
        throw new UnsupportedOperationException("batched decoding runs forward only");
    }

    @Override
    public void backward(Kernels k, float[] dy, float[] x, float[] dx, int n, float[] kept, float[] scratch) {
        throw new UnsupportedOperationException("batched decoding runs forward only");
    }

    @Override
    public void mergeInto(float[] weight, int out, int in) {
        throw new UnsupportedOperationException("a batch of several adapters has no single merged weight");
    }
}
