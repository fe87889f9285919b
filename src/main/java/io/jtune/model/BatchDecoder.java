package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.nn.CachedAttention;
import io.jtune.nn.Kernels;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batched decoding over one base model: each {@link #step} runs the new tokens of several sequences
 * through the model in one pass — the base weights are read once for all of them (one GEMM with a row
 * per token), while attention reads each sequence's own key/value cache at its own positions. A step
 * may mix a few tokens of one sequence's prompt (a prefill chunk) with one token of each decoding
 * sequence, and sequences of different LoRA adapters: each adapter's part is applied to its own rows
 * ({@link RowGroupedAdapter}). Adapters that replace whole modules (PEFT's modules_to_save) cannot
 * share the base's pass; their sequences run in a pass of their own within the same step.
 *
 * <p>It is the same {@link DecoderLayer} forward as training and {@link InferenceSession}, with an
 * {@link AttentionContext} over many caches, so a sequence's logits equal those of a session decoding
 * it alone. The caller (one scheduler thread) owns the sequences; this class is not thread-safe.
 */
public final class BatchDecoder {
    private final CausalLM model;
    private final Dims d;
    private final Kernels k;
    private final int maxLength;
    private final int layerCount;
    private Scratch scratch;

    public BatchDecoder(CausalLM model) {
        this.model = model;
        this.d = model.dims();
        this.k = model.kernels();
        this.maxLength = Math.max(1, model.config().maxPositionEmbeddings());
        this.layerCount = model.config().numHiddenLayers();
    }

    /** The longest sequence the model supports (max_position_embeddings). */
    public int maxLength() { return maxLength; }

    public int vocabSize() { return d.vocab(); }

    /** A new, empty sequence decoded with {@code adapter} (null: the base model). */
    public Sequence newSequence(LoraAdapter adapter) {
        model.weights(adapter); // rejects an adapter of another model
        return new Sequence(adapter);
    }

    /** One sequence: the adapter it decodes with, its key/value cache and the tokens it holds. */
    public final class Sequence {
        private final LoraAdapter adapter;
        private final KvCache cache = new KvCache(layerCount, d.kvDim(), maxLength);

        private Sequence(LoraAdapter adapter) {
            this.adapter = adapter;
        }

        public LoraAdapter adapter() { return adapter; }

        public int length() { return cache.length(); }

        public int[] tokens() { return cache.tokens(); }

        /** Keeps the first {@code newLength} tokens (a shared prompt prefix) and forgets the rest. */
        public void truncate(int newLength) {
            cache.truncate(newLength);
        }
    }

    /**
     * What one sequence feeds into a step: its next tokens (one while decoding, a chunk while
     * prefilling) and whether the logits after the last of them are wanted.
     */
    public record Segment(Sequence sequence, int[] tokens, boolean wantLogits, int callMaxPosition) {
        public Segment {
            if (tokens.length == 0) throw new IllegalArgumentException("a segment appends at least one token");
        }

        /** A segment that is a whole call: its own last token is the call's largest position. */
        public Segment(Sequence sequence, int[] tokens, boolean wantLogits) {
            this(sequence, tokens, wantLogits, -1);
        }

        /**
         * The largest position of the transformers forward call this segment is part of (a prompt
         * prefilled over several steps is one call there): what LongRoPE chooses its factors by.
         */
        int callMaxPosition(int firstPosition) {
            return Math.max(callMaxPosition, firstPosition + tokens.length - 1);
        }
    }

    /**
     * Appends every segment's tokens to its sequence in one pass over the weights and returns the
     * logits after the last token of each segment that wants them, in segment order [wanted x vocab].
     */
    public float[] step(List<Segment> segments) {
        check(segments);
        // Sequences whose adapter shares the base's modules run together; each modules_to_save adapter alone.
        Map<Object, List<Integer>> passes = new LinkedHashMap<>();
        for (int i = 0; i < segments.size(); i++) {
            LoraAdapter a = segments.get(i).sequence().adapter;
            Object key = a == null || a.config().additionalTargets().isEmpty() ? "shared" : a;
            passes.computeIfAbsent(key, x -> new ArrayList<>()).add(i);
        }
        int[] logitRow = new int[segments.size()];
        int wanted = 0;
        for (int i = 0; i < segments.size(); i++) logitRow[i] = segments.get(i).wantLogits() ? wanted++ : -1;
        if (passes.size() == 1) return forward(segments);   // the pass's logits are already in segment order
        float[] logits = new float[wanted * d.vocab()];
        for (List<Integer> pass : passes.values()) {
            List<Segment> part = pass.stream().map(segments::get).toList();
            float[] partLogits = forward(part);
            int row = 0;
            for (int i : pass) {
                if (logitRow[i] < 0) continue;
                System.arraycopy(partLogits, row++ * d.vocab(), logits, logitRow[i] * d.vocab(), d.vocab());
            }
        }
        return logits;
    }

    private void check(List<Segment> segments) {
        Map<Sequence, Boolean> seen = new IdentityHashMap<>();
        for (Segment s : segments) {
            if (seen.put(s.sequence(), true) != null) throw new IllegalArgumentException("a sequence appears twice in one step");
            if (s.sequence().length() + s.tokens().length > maxLength) {
                throw new JtuneException("the sequence would hold " + (s.sequence().length() + s.tokens().length)
                        + " tokens, more than the model's context of " + maxLength + " (max_position_embeddings in config.json)");
            }
            for (int id : s.tokens()) {
                if (id < 0 || id >= d.vocab()) throw new JtuneException("token id " + id + " is outside the vocabulary [0, " + d.vocab() + ")");
            }
        }
    }

    /** One pass over segments whose adapters all read the base's module weights. */
    private float[] forward(List<Segment> segments) {
        int n = 0;
        for (Segment s : segments) n += s.tokens().length;
        int[] ids = new int[n], positions = new int[n], callMax = new int[n];
        KvCache[] rowCache = new KvCache[n];
        int row = 0;
        for (Segment s : segments) {
            KvCache cache = s.sequence().cache;
            cache.ensureCapacity(cache.length() + s.tokens().length);
            int segmentCallMax = s.callMaxPosition(cache.length());
            for (int t = 0; t < s.tokens().length; t++, row++) {
                ids[row] = s.tokens()[t];
                positions[row] = cache.length() + t;
                callMax[row] = segmentCallMax;
                rowCache[row] = cache;
            }
        }
        ModelWeights w = weightsFor(segments);
        Scratch s = scratch(n, w);
        model.fillRopeTablesPerRow(positions, callMax, n, s.workspace);
        InputEmbedding.forward(k, d, w, ids, positions, s.x, n);
        float[][] rowKeys = new float[n][], rowValues = new float[n][];
        int rows = n;
        AttentionContext batched = (layer, q, newKeys, newValues, out, lse, count) -> {
            for (int i = 0; i < rows; i++) {
                KvCache cache = rowCache[i];
                cache.store(layer, positions[i], newKeys, newValues, i, 1);
                rowKeys[i] = cache.keys(layer);
                rowValues[i] = cache.values(layer);
            }
            CachedAttention.forwardRows(q, rowKeys, rowValues, out, rows, positions, d.heads(), d.kvHeads(), d.headDim(),
                    d.slidingWindow(layer), d.attentionScale(), d.attnSoftcap(), d.alibiSlopes());
        };
        for (DecoderLayer layer : w.layers) layer.forward(k, d, batched, n, s.x, s.x, s.activations, s.workspace, -1);

        int wanted = 0;
        for (Segment seg : segments) if (seg.wantLogits()) wanted++;
        float[] last = new float[wanted * d.hidden()];
        row = 0;
        int out = 0;
        for (Segment seg : segments) {
            seg.sequence().cache.append(seg.tokens(), 0, seg.tokens().length);
            row += seg.tokens().length;
            if (seg.wantLogits()) System.arraycopy(s.x, (row - 1) * d.hidden(), last, out++ * d.hidden(), d.hidden());
        }
        float[] logits = new float[wanted * d.vocab()];
        DecodeLogits.compute(d, k, w, last, 0, wanted, logits, 0);
        return logits;
    }

    /** The pass's weights: one adapter's view when all segments share it, else the base with each adapter's part on its rows. */
    private ModelWeights weightsFor(List<Segment> segments) {
        LoraAdapter first = segments.getFirst().sequence().adapter;
        boolean same = segments.stream().allMatch(s -> s.sequence().adapter == first);
        if (same) return model.weights(first);
        ModelWeights base = model.baseWeights();
        DecoderLayer[] layers = new DecoderLayer[base.layers.length];
        for (int l = 0; l < layers.length; l++) {
            int layer = l;
            layers[l] = base.layers[l].with(p -> p, m -> {
                if (m.slot < 0) return moeModuleWithoutAdapters(m, segments, layer);
                List<RowGroupedAdapter.Run> runs = new ArrayList<>();
                boolean any = false;
                int start = 0;
                for (Segment s : segments) {
                    LoraAdapter a = s.sequence().adapter;
                    ModuleAdapter part = a == null ? null : a.weights().layers[layer].module(m.slot).adapter;
                    any |= part != null;
                    runs.add(new RowGroupedAdapter.Run(start, s.tokens().length, part));
                    start += s.tokens().length;
                }
                return any ? m.with(m.weight, m.bias, new RowGroupedAdapter(runs.toArray(RowGroupedAdapter.Run[]::new), m.in(), m.out())) : m;
            });
        }
        return new ModelWeights(base.embed, base.positionEmbed, base.embedNorm, base.embedNormBias, base.finalNorm, base.finalNormBias,
                base.lmHead, layers);
    }

    /**
     * A MoE block's module (router, expert) in a batch of sequences with different adapters: its
     * rows are gathered per expert, so the row runs of {@link RowGroupedAdapter} do not apply. Such a
     * batch is refused while any of its adapters adapts the block.
     */
    private static LinearModule moeModuleWithoutAdapters(LinearModule m, List<Segment> segments, int layer) {
        for (Segment s : segments) {
            LoraAdapter a = s.sequence().adapter;
            if (a == null) continue;
            for (LinearModule own : a.weights().layers[layer].modules) {
                if (own.path.equals(m.path) && own.adapter != null) {
                    throw new io.jtune.JtuneException("decoding sequences with different LoRA adapters in one batch is not supported yet"
                            + " when an adapter adapts a Mixture-of-Experts block (" + m.path + "); serve one adapter at a time"
                            + " or target only the attention modules");
                }
            }
        }
        return m;
    }

    private Scratch scratch(int n, ModelWeights w) {
        if (scratch == null || !scratch.fits(n, w)) scratch = new Scratch(d, Math.max(n, scratch == null ? 1 : scratch.rows), w);
        return scratch;
    }

    /** Buffers for up to {@code rows} rows, reused across steps while they fit. */
    private static final class Scratch {
        final int rows;
        final int maxKept;
        final float[] x;
        final LayerActivations activations;
        final Workspace workspace;

        Scratch(Dims d, int rows, ModelWeights w) {
            this.rows = rows;
            this.maxKept = w.maxKept;
            x = new float[rows * d.hidden()];
            activations = new LayerActivations(d, rows, modules(w), true);
            workspace = new Workspace(d, rows, w.maxKept, 0, false);
        }

        boolean fits(int n, ModelWeights w) {
            if (n > rows || w.maxKept > maxKept) return false;
            for (LinearModule m : modules(w)) {
                if (m.adapter == null || m.slot < 0) continue;   // a MoE block grows its own buffers
                float[] kept = activations.adapterKept[m.slot];
                if (kept == null || kept.length < n * m.keptWidth()) return false;
            }
            return true;
        }

        private static List<LinearModule> modules(ModelWeights w) {
            List<LinearModule> modules = new ArrayList<>();
            for (DecoderLayer layer : w.layers) modules.addAll(List.of(layer.modules));
            return modules;
        }
    }
}
