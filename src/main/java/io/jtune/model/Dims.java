package io.jtune.model;

/** The sizes the layers need, derived once from the {@link ModelConfig}. */
record Dims(int hidden, int intermediate, int heads, int kvHeads, int headDim, int vocab, float eps,
            boolean qkNorm, int slidingWindow) {
    static Dims of(ModelConfig c) {
        return new Dims(c.hiddenSize(), c.intermediateSize(), c.numAttentionHeads(), c.numKeyValueHeads(),
                c.headDim(), c.vocabSize(), (float) c.rmsNormEps(), c.qkNorm(),
                c.slidingWindow() == null ? 0 : c.slidingWindow());
    }

    int qDim() { return heads * headDim; }
    int kvDim() { return kvHeads * headDim; }
}
