package io.jtune.export;

import io.jtune.io.gguf.GgufModelSource;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.Matrix;

/**
 * An exported model directory as the GGUF writer's source: its tensors memory-mapped (so the GGUF
 * is streamed from the merged safetensors without a second copy in memory) and its tokenizer.
 */
final class HfDirectoryGgufSource implements GgufModelSource {
    private final HfModelDirectory dir;
    private final String name;
    private final GgufTokenizer tokenizer;

    HfDirectoryGgufSource(HfModelDirectory dir, String name, GgufTokenizer tokenizer) {
        this.dir = dir;
        this.name = name;
        this.tokenizer = tokenizer;
    }

    @Override
    public ModelConfig config() {
        return dir.config();
    }

    @Override
    public String name() {
        return name;
    }

    /** Only the tensors the architecture has: a tied lm_head.weight (or a missing bias) is null. */
    @Override
    public Matrix tensor(String hfName) {
        for (ModelTensor e : dir.expectedTensors()) {
            if (e.name().equals(hfName)) return dir.matrix(hfName);
        }
        return null;
    }

    @Override
    public GgufTokenizer tokenizer() {
        return tokenizer;
    }
}
