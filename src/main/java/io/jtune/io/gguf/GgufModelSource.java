package io.jtune.io.gguf;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Matrix;

/**
 * What the GGUF export needs of a model: its architecture, its tensors under their Hugging Face
 * names, and its tokenizer. The export command implements it over a loaded (possibly merged)
 * model and the real tokenizer files; tests implement it over random tensors.
 */
public interface GgufModelSource {
    ModelConfig config();

    /** general.name, e.g. the model directory's name. */
    String name();

    /**
     * The tensor with this HF name ("model.layers.0.self_attn.q_proj.weight"), or null when the
     * checkpoint has none (lm_head.weight with tied embeddings, absent biases). Vectors (norms,
     * biases) come as one row.
     */
    Matrix tensor(String hfName);

    GgufTokenizer tokenizer();
}
