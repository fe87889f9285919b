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

    /** The checkpoint shape: [cols] for a vector, [rows, cols] for a matrix. */
    public long[] shape() {
        return vector ? new long[] {cols} : new long[] {rows, cols};
    }
}
