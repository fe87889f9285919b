package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.model.arch.ModelConfig;
import io.jtune.nn.CachedAttention;
import io.jtune.nn.Kernels;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence being generated with a {@link CausalLM}'s weights: a key/value cache per layer and
 * the tokens it holds. {@link #append} runs the new tokens through every layer — the same
 * {@link DecoderLayer} forward training runs, with attention against everything cached — and
 * returns logits, so a prompt is "prefilled" with one call and each generated token costs one call
 * with one token. The cached keys and values are exactly what a full forward would compute, so the
 * logits match {@link CausalLM#forwardLogits} on the whole sequence.
 *
 * <p>A session decodes with one adapter or none: LoRA is applied unmerged, as in training
 * (y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ), and can be switched off to compare with the base model. Dropout
 * never applies here. A session is not thread-safe; several sessions may share one model and its
 * adapters (they only read their weights).
 */
public final class InferenceSession {
    /** Prompts are prefilled in chunks of this many tokens, bounding the scratch buffers. */
    static final int PREFILL_CHUNK = 256;

    private final CausalLM model;
    private final Dims d;
    private final Kernels k;
    private final LoraAdapter adapter;
    private final int maxLength;
    private final KvCache cache;
    private boolean adapterEnabled = true;
    private Scratch scratch;

    /** A session with the model's own adapter (the one it was built with), if any. */
    public InferenceSession(CausalLM model) {
        this(model, model.adapter());
    }

    /** A session with the given adapter over the model, or the base model when it is null. */
    public InferenceSession(CausalLM model, LoraAdapter adapter) {
        this.model = model;
        this.d = model.dims();
        this.k = model.kernels();
        this.adapter = adapter;
        model.weights(adapter);   // rejects an adapter of another model
        this.maxLength = Math.max(1, model.config().maxPositionEmbeddings());
        this.cache = new KvCache(model.config().numHiddenLayers(), d.kvDim(), maxLength);
    }

    public ModelConfig config() { return model.config(); }

    /** Tokens in the cache. */
    public int length() { return cache.length(); }

    /** The longest sequence the model supports (max_position_embeddings). */
    public int maxLength() { return maxLength; }

    /** The cached tokens, in order. */
    public int[] tokens() { return cache.tokens(); }

    /** Whether the session decodes through a LoRA adapter. */
    public boolean hasAdapter() { return adapter != null; }

    public boolean adapterEnabled() { return adapterEnabled; }

    /**
     * Turns the LoRA adapter on or off (off = the base model). The cache holds keys computed with the
     * other setting, so a change empties it.
     */
    public void setAdapterEnabled(boolean enabled) {
        if (enabled != adapterEnabled) reset();
        adapterEnabled = enabled;
    }

    /** Forgets every cached token. */
    public void reset() { cache.clear(); }

    /** Keeps the first {@code newLength} tokens (a shared prompt prefix) and forgets the rest. */
    public void truncate(int newLength) {
        cache.truncate(newLength);
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
        int length = cache.length();
        if (length + ids.length > maxLength) {
            throw new JtuneException("the sequence would hold " + (length + ids.length) + " tokens, more than the model's context of "
                    + maxLength + " (max_position_embeddings in config.json)");
        }
        for (int id : ids) {
            if (id < 0 || id >= d.vocab()) throw new JtuneException("token id " + id + " is outside the vocabulary [0, " + d.vocab() + ")");
        }
        cache.ensureCapacity(length + ids.length);
        ModelWeights w = model.weights(adapterEnabled ? adapter : null);
        float[] logits = new float[(allLogits ? ids.length : 1) * d.vocab()];
        int callMaxPosition = length + ids.length - 1;   // the chunks are one forward call in transformers
        for (int start = 0; start < ids.length; start += PREFILL_CHUNK) {
            int n = Math.min(PREFILL_CHUNK, ids.length - start);
            int[] chunk = Arrays.copyOfRange(ids, start, start + n);
            Scratch s = scratch(n, w);
            forwardChunk(chunk, n, s, w, callMaxPosition);
            boolean last = start + n == ids.length;
            if (allLogits) {
                DecodeLogits.compute(d, k, w, s.x, 0, n, logits, start * d.vocab());
            } else if (last) {
                DecodeLogits.compute(d, k, w, s.x, n - 1, 1, logits, 0);
            }
        }
        return logits;
    }

    /** Runs n new tokens through every layer, leaving the last layer's output in s.x. */
    private void forwardChunk(int[] ids, int n, Scratch s, ModelWeights w, int callMaxPosition) {
        int past = cache.length();
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = past + i;
        model.fillRopeTables(positions, n, s.workspace, callMaxPosition);
        InputEmbedding.forward(k, d, w, ids, positions, s.x, n);
        AttentionContext cached = (layer, q, newKeys, newValues, out, lse, rows) -> {
            cache.store(layer, past, newKeys, newValues, 0, rows);
            CachedAttention.forward(q, cache.keys(layer), cache.values(layer), out, rows, past, d.heads(), d.kvHeads(), d.headDim(),
                    d.slidingWindow(layer), d.attentionScale(), d.attnSoftcap(), d.alibiSlopes());
        };
        for (DecoderLayer layer : w.layers) layer.forward(k, d, cached, n, s.x, s.x, s.activations, s.workspace, -1);
        cache.append(ids, 0, n);
    }

    private Scratch scratch(int n, ModelWeights w) {
        if (scratch == null || scratch.rows < n || scratch.weights != w) scratch = new Scratch(d, Math.max(n, 1), w);
        return scratch;
    }

    /** Buffers for one chunk of rows, reused across calls: one layer's activations, shared by all layers. */
    private static final class Scratch {
        final int rows;
        final ModelWeights weights;   // whose LoRA ranks the buffers fit
        final float[] x;
        final LayerActivations activations;
        final Workspace workspace;

        Scratch(Dims d, int n, ModelWeights w) {
            rows = n;
            weights = w;
            x = new float[n * d.hidden()];
            List<LinearModule> modules = new java.util.ArrayList<>();
            for (DecoderLayer layer : w.layers) modules.addAll(List.of(layer.modules));
            activations = new LayerActivations(d, n, modules, true);
            workspace = new Workspace(d, n, w.maxKept, 0, false);
        }
    }
}
