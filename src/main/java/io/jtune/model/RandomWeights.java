package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded random checkpoint for any {@link ModelConfig}: normal(0, 0.02) matrices, norm weights near 1,
 * small biases; stored fp32 on the heap or bf16 off-heap like a mapped checkpoint. For tests and
 * benchmarks (build a model from a config alone and run a step).
 */
public final class RandomWeights implements WeightSource {
    private final Map<String, Matrix> tensors = new LinkedHashMap<>();

    public RandomWeights(ModelConfig c, long seed, DType dtype) {
        this(c, seed, dtype, 0.02);
    }

    /** With matrices drawn from normal(0, std) (tests use larger values so every path carries signal). */
    public RandomWeights(ModelConfig c, long seed, DType dtype, double std) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int h = c.hiddenSize(), i = c.intermediateSize(), q = c.qDim(), kv = c.kvDim();
        put("model.embed_tokens.weight", c.vocabSize(), h, std, 0, rnd, dtype);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            put(p + "self_attn.q_proj.weight", q, h, std, 0, rnd, dtype);
            put(p + "self_attn.k_proj.weight", kv, h, std, 0, rnd, dtype);
            put(p + "self_attn.v_proj.weight", kv, h, std, 0, rnd, dtype);
            put(p + "self_attn.o_proj.weight", h, q, std, 0, rnd, dtype);
            if (c.attentionBias()) {
                put(p + "self_attn.q_proj.bias", 1, q, std, 0, rnd, dtype);
                put(p + "self_attn.k_proj.bias", 1, kv, std, 0, rnd, dtype);
                put(p + "self_attn.v_proj.bias", 1, kv, std, 0, rnd, dtype);
            }
            if (c.outputProjectionBias()) put(p + "self_attn.o_proj.bias", 1, h, std, 0, rnd, dtype);
            if (c.qkNorm()) {
                put(p + "self_attn.q_norm.weight", 1, c.headDim(), 0.1, 1, rnd, dtype);
                put(p + "self_attn.k_norm.weight", 1, c.headDim(), 0.1, 1, rnd, dtype);
            }
            put(p + "mlp.gate_proj.weight", i, h, std, 0, rnd, dtype);
            put(p + "mlp.up_proj.weight", i, h, std, 0, rnd, dtype);
            put(p + "mlp.down_proj.weight", h, i, std, 0, rnd, dtype);
            if (c.mlpBias()) {
                put(p + "mlp.gate_proj.bias", 1, i, std, 0, rnd, dtype);
                put(p + "mlp.up_proj.bias", 1, i, std, 0, rnd, dtype);
                put(p + "mlp.down_proj.bias", 1, h, std, 0, rnd, dtype);
            }
            put(p + "input_layernorm.weight", 1, h, 0.1, 1, rnd, dtype);
            put(p + "post_attention_layernorm.weight", 1, h, 0.1, 1, rnd, dtype);
        }
        put("model.norm.weight", 1, h, 0.1, 1, rnd, dtype);
        if (!c.tieWordEmbeddings()) put("lm_head.weight", c.vocabSize(), h, std, 0, rnd, dtype);
    }

    private void put(String name, int rows, int cols, double std, double mean, SplittableRandom rnd, DType dtype) {
        int n = rows * cols;
        if (dtype == DType.F32) {
            float[] data = new float[n];
            for (int j = 0; j < n; j++) data[j] = (float) (mean + std * rnd.nextGaussian());
            tensors.put(name, Matrix.of(data, rows, cols));
        } else if (dtype == DType.BF16) {
            MemorySegment seg = Arena.ofAuto().allocate((long) n * 2, 2);
            var layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            short[] chunk = new short[Math.min(n, 1 << 16)];
            for (int start = 0; start < n; start += chunk.length) {
                int len = Math.min(chunk.length, n - start);
                for (int j = 0; j < len; j++) chunk[j] = Numbers.floatToBf16((float) (mean + std * rnd.nextGaussian()));
                MemorySegment.copy(chunk, 0, seg, layout, (long) start * 2, len);
            }
            tensors.put(name, Matrix.of(seg, DType.BF16, rows, cols));
        } else {
            throw new IllegalArgumentException("random weights come in F32 or BF16, not " + dtype);
        }
    }

    /** Replaces one tensor (tests use it to inject bad shapes or values). */
    public RandomWeights with(String name, Matrix m) {
        tensors.put(name, m);
        return this;
    }

    public RandomWeights without(String name) {
        tensors.remove(name);
        return this;
    }

    @Override public Matrix tensor(String name) { return tensors.get(name); }
    @Override public Set<String> names() { return tensors.keySet(); }
    @Override public String describe() { return "random weights"; }
}
