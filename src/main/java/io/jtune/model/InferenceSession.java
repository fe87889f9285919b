package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.nn.Kernels;
import io.jtune.nn.Rope;
import io.jtune.tensor.Gemm;
import java.util.Arrays;

/**
 * One sequence being generated with a {@link CausalLM}'s weights: a key/value cache per layer and
 * the tokens it holds. {@link #append} runs the new tokens through every layer — projections as one
 * GEMM over the new rows, RoPE at their absolute positions, attention against everything cached —
 * and returns logits, so a prompt is "prefilled" with one call and each generated token costs one
 * call with one token. The cached keys and values are exactly what a full forward would compute, so
 * the logits match {@link CausalLM#forwardLogits} on the whole sequence.
 *
 * <p>LoRA adapters are applied unmerged, as in training (y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ), and can be
 * switched off to compare with the base model. Dropout never applies here. A session is not
 * thread-safe; several sessions may share one model (they only read its weights).
 */
public final class InferenceSession {
    /** Prompts are prefilled in chunks of this many tokens, bounding the scratch buffers. */
    static final int PREFILL_CHUNK = 256;

    private final CausalLM model;
    private final Dims d;
    private final Kernels k;
    private final DecoderLayer[] layers;
    private final int maxLength;
    private final boolean hasAdapter;
    private final int maxRank;

    private float[][] keys, values;   // per layer [capacity x kvDim]
    private int capacity;
    private int[] tokens = new int[0];
    private int length;
    private boolean adapterEnabled = true;
    private Scratch scratch;

    public InferenceSession(CausalLM model) {
        this.model = model;
        this.d = model.dims();
        this.k = model.kernels();
        this.layers = model.decoderLayers();
        this.maxLength = Math.max(1, model.config().maxPositionEmbeddings());
        int rank = 0;
        for (DecoderLayer layer : layers) for (LinearModule m : layer.modules) rank = Math.max(rank, m.rank());
        this.maxRank = rank;
        this.hasAdapter = rank > 0;
        this.keys = new float[layers.length][];
        this.values = new float[layers.length][];
    }

    public ModelConfig config() { return model.config(); }

    /** Tokens in the cache. */
    public int length() { return length; }

    /** The longest sequence the model supports (max_position_embeddings). */
    public int maxLength() { return maxLength; }

    /** The cached tokens, in order. */
    public int[] tokens() { return Arrays.copyOf(tokens, length); }

    /** Whether the model carries LoRA adapters. */
    public boolean hasAdapter() { return hasAdapter; }

    public boolean adapterEnabled() { return adapterEnabled; }

    /**
     * Turns the LoRA adapters on or off (off = the base model). The cache holds keys computed with the
     * other setting, so a change empties it.
     */
    public void setAdapterEnabled(boolean enabled) {
        if (enabled != adapterEnabled) reset();
        adapterEnabled = enabled;
    }

    /** Forgets every cached token. */
    public void reset() { length = 0; }

    /** Keeps the first {@code newLength} tokens (a shared prompt prefix) and forgets the rest. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate " + length + " cached tokens to " + newLength);
        }
        length = newLength;
    }

    /** Appends tokens and returns the logits [vocab] after the last one. */
    public float[] append(int... ids) {
        return run(ids, false);
    }

    /** Appends tokens and returns the logits [ids.length x vocab] after each of them. */
    public float[] appendAll(int... ids) {
        return run(ids, true);
    }

    private float[] run(int[] ids, boolean allLogits) {
        if (ids.length == 0) throw new IllegalArgumentException("nothing to append");
        if (length + ids.length > maxLength) {
            throw new JtuneException("the sequence would hold " + (length + ids.length) + " tokens, more than the model's context of "
                    + maxLength + " (max_position_embeddings in config.json)");
        }
        for (int id : ids) {
            if (id < 0 || id >= d.vocab()) throw new JtuneException("token id " + id + " is outside the vocabulary [0, " + d.vocab() + ")");
        }
        ensureCapacity(length + ids.length);
        float[] logits = new float[(allLogits ? ids.length : 1) * d.vocab()];
        for (int start = 0; start < ids.length; start += PREFILL_CHUNK) {
            int n = Math.min(PREFILL_CHUNK, ids.length - start);
            int[] chunk = Arrays.copyOfRange(ids, start, start + n);
            Scratch s = scratch(n);
            forwardChunk(chunk, n, s);
            boolean last = start + n == ids.length;
            if (allLogits) {
                logits(s, 0, n, logits, start * d.vocab());
            } else if (last) {
                logits(s, n - 1, 1, logits, 0);
            }
        }
        return logits;
    }

    /** Runs n new tokens through every layer, leaving the last layer's output in s.x. */
    private void forwardChunk(int[] ids, int n, Scratch s) {
        int past = length;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = past + i;
        Rope.table(model.inverseFrequencies(), positions, n, s.cos, s.sin);
        k.embeddingForward(model.embedding().matrix, ids, s.x, n);
        for (int l = 0; l < layers.length; l++) layer(layers[l], l, n, past, s);
        System.arraycopy(ids, 0, tokens, past, n);
        length = past + n;
    }

    private void layer(DecoderLayer layer, int l, int n, int past, Scratch s) {
        int kvDim = d.kvDim();
        k.rmsNormForward(s.x, layer.inputNorm.data, layer.inputNorm.offset, s.ln, s.rstd, n, d.hidden(), d.eps());
        if (d.qkNorm()) {
            linear(layer.modules[DecoderLayer.Q], s.ln, s.qRaw, n, s);
            linear(layer.modules[DecoderLayer.K], s.ln, s.kRaw, n, s);
            k.rmsNormForward(s.qRaw, layer.qNorm.data, layer.qNorm.offset, s.q, s.rstd, n * d.heads(), d.headDim(), d.eps());
            k.rmsNormForward(s.kRaw, layer.kNorm.data, layer.kNorm.offset, s.k, s.rstd, n * d.kvHeads(), d.headDim(), d.eps());
        } else {
            linear(layer.modules[DecoderLayer.Q], s.ln, s.q, n, s);
            linear(layer.modules[DecoderLayer.K], s.ln, s.k, n, s);
        }
        linear(layer.modules[DecoderLayer.V], s.ln, s.v, n, s);
        k.ropeForward(s.q, s.cos, s.sin, n, d.heads(), d.headDim());
        k.ropeForward(s.k, s.cos, s.sin, n, d.kvHeads(), d.headDim());
        System.arraycopy(s.k, 0, keys[l], past * kvDim, n * kvDim);
        System.arraycopy(s.v, 0, values[l], past * kvDim, n * kvDim);
        io.jtune.nn.CachedAttention.forward(s.q, keys[l], values[l], s.att, n, past, d.heads(), d.kvHeads(), d.headDim(), d.slidingWindow());
        linear(layer.modules[DecoderLayer.O], s.att, s.projected, n, s);
        k.add(s.x, s.projected, s.x, n * d.hidden());

        k.rmsNormForward(s.x, layer.postNorm.data, layer.postNorm.offset, s.ln, s.rstd, n, d.hidden(), d.eps());
        linear(layer.modules[DecoderLayer.GATE], s.ln, s.gate, n, s);
        linear(layer.modules[DecoderLayer.UP], s.ln, s.up, n, s);
        k.swigluForward(s.gate, s.up, s.gate, n * d.intermediate());
        linear(layer.modules[DecoderLayer.DOWN], s.gate, s.projected, n, s);
        k.add(s.x, s.projected, s.x, n * d.hidden());
    }

    /** y = x·Wᵀ + b, plus the unmerged LoRA update when the adapter is on. */
    private void linear(LinearModule m, float[] x, float[] y, int n, Scratch s) {
        k.linearForward(x, m.weight.matrix, m.bias == null ? null : m.bias.data, m.bias == null ? 0 : m.bias.offset, y, n);
        if (m.loraA != null && adapterEnabled) k.loraForward(x, m.loraA.matrix, m.loraB.matrix, m.loraScale, s.loraU, y, n);
    }

    /** Final norm and lm_head over rows [row, row + rows) of s.x into out at outOff. */
    private void logits(Scratch s, int row, int rows, float[] out, int outOff) {
        int h = d.hidden();
        float[] x = Arrays.copyOfRange(s.x, row * h, (row + rows) * h);
        float[] normed = new float[rows * h];
        k.rmsNormForward(x, model.finalNorm().data, model.finalNorm().offset, normed, new float[rows], rows, h, d.eps());
        Gemm.matmulTransB(normed, 0, model.lmHead().matrix, out, outOff, rows, false);
    }

    /** Grows the cache (doubling, up to the context length) so that it holds {@code needed} tokens. */
    private void ensureCapacity(int needed) {
        if (needed <= capacity) return;
        int newCapacity = Math.min(maxLength, Math.max(needed, Math.max(64, capacity * 2)));
        int kvDim = d.kvDim();
        for (int l = 0; l < layers.length; l++) {
            float[] nk = new float[newCapacity * kvDim], nv = new float[newCapacity * kvDim];
            if (keys[l] != null) {
                System.arraycopy(keys[l], 0, nk, 0, length * kvDim);
                System.arraycopy(values[l], 0, nv, 0, length * kvDim);
            }
            keys[l] = nk;
            values[l] = nv;
        }
        tokens = Arrays.copyOf(tokens, newCapacity);
        capacity = newCapacity;
    }

    private Scratch scratch(int n) {
        if (scratch == null || scratch.rows < n) scratch = new Scratch(d, Math.max(n, 1), maxRank);
        return scratch;
    }

    /** Buffers for one chunk of rows, reused across calls. */
    private static final class Scratch {
        final int rows;
        final float[] x, ln, rstd, q, k, v, qRaw, kRaw, att, projected, gate, up, loraU, cos, sin;

        Scratch(Dims d, int n, int maxRank) {
            rows = n;
            x = new float[n * d.hidden()];
            ln = new float[n * d.hidden()];
            rstd = new float[n * Math.max(d.heads(), 1)];
            q = new float[n * d.qDim()];
            k = new float[n * d.kvDim()];
            v = new float[n * d.kvDim()];
            qRaw = d.qkNorm() ? new float[n * d.qDim()] : null;
            kRaw = d.qkNorm() ? new float[n * d.kvDim()] : null;
            att = new float[n * d.qDim()];
            projected = new float[n * d.hidden()];
            gate = new float[n * d.intermediate()];
            up = new float[n * d.intermediate()];
            loraU = new float[n * Math.max(1, maxRank)];
            cos = new float[n * d.headDim() / 2];
            sin = new float[n * d.headDim() / 2];
        }
    }
}
