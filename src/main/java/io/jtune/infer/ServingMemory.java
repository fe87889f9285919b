package io.jtune.infer;

import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;

/**
 * The memory a served model needs, before it is loaded: its weights (memory-mapped in the
 * checkpoint's dtype, so they count as the process' resident memory once read, outside the Java
 * heap) and its key/value cache (fp32 in the heap: keys and values of every layer for every token
 * of every running sequence). docs/deploy.md sizes a container's memory request from these figures.
 *
 * @param weightBytes the checkpoint's tensors at their dtype
 * @param kvBytesPerToken 2 (keys, values) × layers × kv heads × head dim × 4 bytes
 */
public record ServingMemory(long weightBytes, long kvBytesPerToken) {

    public static ServingMemory of(ModelConfig c) {
        long elements = 0;
        for (ModelTensor t : Families.of(c).checkpointTensors(c)) elements += t.elements();
        return new ServingMemory(elements * c.dtype().byteSize(), 2L * c.numHiddenLayers() * c.kvDim() * Float.BYTES);
    }

    /** The KV cache of {@code sequences} sequences of {@code tokens} tokens each. */
    public long kvBytes(int sequences, int tokens) {
        return kvBytesPerToken * sequences * tokens;
    }

    /** One line for the server's start: weights, KV per token and for a full batch at a given length. */
    public String describe(int batch, int tokens) {
        return String.format("weights %.2f GB (memory-mapped), KV cache %.1f KiB per token: %.2f GiB for %d sequences of %d tokens",
                weightBytes / 1e9, kvBytesPerToken / 1024.0, kvBytes(batch, tokens) / (double) (1L << 30), batch, tokens);
    }
}
