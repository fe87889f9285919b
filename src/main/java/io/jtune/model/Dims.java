package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModuleRole;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;

/** The sizes and the family's ops the layers need, derived once from the config and the family. */
record Dims(int hidden, int intermediate, int heads, int kvHeads, int headDim, int vocab, float eps,
            boolean qkNorm, int slidingWindow, Normalization norm, GatedActivation activation, float embeddingScale) {
    static Dims of(ModelConfig c, ModelFamily family) {
        return new Dims(c.hiddenSize(), c.intermediateSize(), c.numAttentionHeads(), c.numKeyValueHeads(),
                c.headDim(), c.vocabSize(), (float) c.rmsNormEps(), family.has(ModuleRole.Q_NORM, c),
                c.slidingWindow() == null ? 0 : c.slidingWindow(), family.norm(), family.activation(),
                family.embeddingScale().multiplier(c));
    }

    int qDim() { return heads * headDim; }
    int kvDim() { return kvHeads * headDim; }
}
