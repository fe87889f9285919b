package io.jtune.bench;

import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleSpec;

/**
 * The memory-read bound of decoding: each token reads every weight matrix once (the embedding
 * only one row, unless it is tied and so is the LM head too) and the KV cache so far; at the
 * measured read bandwidth that takes at least bytesPerToken / bandwidth seconds.
 */
public record DecodeRoofline(long bytesPerToken, double readBytesPerSecond) {

    /** The most tokens per second reading allows. */
    public double tokensPerSecond() {
        return readBytesPerSecond / bytesPerToken;
    }

    /** Bytes one decode step reads with the weights stored as {@code weights}, at a cache of {@code context} tokens (fp32 keys and values). */
    public static long bytesPerToken(ModelConfig c, FrozenWeights weights, int context) {
        long bytes = 0;
        for (ModelTensor t : Families.of(c).checkpointTensors(c)) {
            boolean embedding = t.spec().kind() == ModuleSpec.Kind.EMBEDDING;
            long tensor = weights.bytes(t);
            bytes += embedding && !c.tieWordEmbeddings() ? tensor / t.rows() : tensor;
        }
        long kvPerToken = 2L * c.kvDim() * Float.BYTES * c.numHiddenLayers();
        return bytes + kvPerToken * context;
    }

    /** "494 MB/token, 20.1 GB/s: 40.7 tok/s". */
    @Override
    public String toString() {
        return String.format("%.0f MB/token at %.1f GB/s read: %.1f tok/s", bytesPerToken / 1e6, readBytesPerSecond / 1e9, tokensPerSecond());
    }
}
