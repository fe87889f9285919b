package io.jtune.model.arch;

/**
 * One tensor of a concrete model: a family's {@link ModuleSpec} applied to a config and a layer.
 *
 * @param name    the Hugging Face name, e.g. "model.layers.3.mlp.up_proj.weight"
 * @param module  the module path, e.g. "model.layers.3.mlp.up_proj"
 * @param gguf    the GGUF name llama.cpp uses, e.g. "blk.3.ffn_up.weight"
 * @param layer   the decoder layer, or -1 outside the layers
 * @param rows    rows (1 for a vector)
 * @param cols    columns (the length for a vector)
 * @param vector  1-D in the checkpoint (norm weights and biases)
 * @param bias    the bias of a linear layer (else its weight)
 */
public record ModelTensor(String name, String module, String gguf, ModuleSpec spec, int layer, int rows, int cols,
                          boolean vector, boolean bias) {
    public ModuleRole role() { return spec.role(); }

    public long elements() { return (long) rows * cols; }

    /**
     * The checkpoint shape: [cols] for a vector, [rows, cols] for a matrix, [cols, rows] for a weight
     * the checkpoint stores transposed (GPT-2's Conv1D).
     */
    public long[] shape() {
        if (vector) return new long[] {cols};
        return transposed() ? new long[] {cols, rows} : new long[] {rows, cols};
    }

    /** Whether the checkpoint holds this weight as [in x out] (a Conv1D weight), the transpose of the engine's. */
    public boolean transposed() {
        return spec.transposed() && !vector;
    }

    /** Values in the engine's [rows x cols] layout, rearranged to the checkpoint's (the same array unless transposed). */
    public float[] toStoredLayout(float[] engine) {
        return transposed() ? transpose(engine, rows, cols) : engine;
    }

    /** Values in the checkpoint's layout, rearranged to the engine's [rows x cols] (the same array unless transposed). */
    public float[] fromStoredLayout(float[] stored) {
        return transposed() ? transpose(stored, cols, rows) : stored;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
        return out;
    }
}
