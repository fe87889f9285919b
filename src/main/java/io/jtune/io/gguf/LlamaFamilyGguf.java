package io.jtune.io.gguf;

import io.jtune.JtuneException;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleRole;
import io.jtune.model.arch.ModuleSpec;
import io.jtune.model.arch.PositionEncoding;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Q8_0;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Maps a Hugging Face checkpoint of a family jtune runs ({@link Families}) to a GGUF file the way
 * llama.cpp's convert_hf_to_gguf.py does (LlamaModel, Qwen2Model, Qwen3Model): architecture and
 * hyper-parameter keys, the q/k row permutation for Llama-style checkpoints, F32 norms/biases, the
 * llama3 rope_freqs tensor, and the tokenizer keys. The architecture name and the tensors with their
 * GGUF names come from the family's declaration; a family whose norms apply (1 + w) (Gemma) has its
 * norm weights written with the 1 added, as the converter's GemmaModel does.
 */
public final class LlamaFamilyGguf {
    /** general.quantization_version, GGML_QUANT_VERSION in gguf-py. */
    static final int QUANTIZATION_VERSION = 2;

    private LlamaFamilyGguf() {}

    /** The metadata and tensor list of a file; the tensors read their values lazily from the source. */
    public record Plan(GgufMetadata metadata, List<GgufTensor> tensors) {}

    /** Writes {@code source} as a GGUF file of the given type to {@code target} (atomically). */
    public static void export(GgufModelSource source, GgufFileType type, Path target) throws IOException {
        Plan plan = plan(source, type);
        GgufWriter.write(target, plan.metadata(), plan.tensors());
    }

    public static Plan plan(GgufModelSource source, GgufFileType type) {
        ModelConfig c = source.config();
        ModelFamily family = family(c.modelType());
        String arch = family.ggufArchitecture();
        GgufMetadata m = new GgufMetadata();
        m.putString("general.architecture", arch);
        m.putString("general.type", "model");
        m.putString("general.name", source.name());
        addHyperParameters(m, family, c, type);
        m.putUint32("general.quantization_version", QUANTIZATION_VERSION);
        // The converter's Gemma3Model keeps only the tokenizer's own tokens and drops the embedding
        // rows past them (262208 rows, 262145 tokens in the real files).
        GgufTokenizer tokenizer = arch.equals("gemma3") ? source.tokenizer().withoutTrailingUnused() : source.tokenizer();
        // GLM-4-0414's tokenizer.json splits as Llama 3's does; the converter names its pre-tokenizer glm4 (by hash)
        if (arch.equals("glm4") && "llama-bpe".equals(tokenizer.pre())) tokenizer = tokenizer.withPre("glm4");
        addTokenizer(m, tokenizer);

        int tokenizerSize = tokenizer.tokens().size();
        int embeddingRows = arch.equals("gemma3") && tokenizerSize < c.vocabSize() ? tokenizerSize : c.vocabSize();
        List<GgufTensor> tensors = new TensorMapping(source, family, c, type, arch.equals("llama"), embeddingRows).tensors();
        int vocabRows = (int) tensors.stream().filter(t -> t.name().equals("token_embd.weight")).findFirst().orElseThrow().shape()[0];
        if (tokenizer.tokens().size() != vocabRows) {
            throw new JtuneException("the tokenizer has " + tokenizer.tokens().size() + " tokens but the embedding has "
                    + vocabRows + " rows; llama.cpp needs one token per row (pad with unused tokens)");
        }
        return new Plan(m, tensors);
    }

    /**
     * Refuses, before anything is written, a model whose GGUF llama.cpp could not run: a
     * Mixture-of-Experts model with dense layers (llama.cpp's graphs make every layer sparse).
     */
    public static void requireExportable(ModelConfig c) {
        io.jtune.model.arch.MoeConfig moe = c.moe();
        if (moe != null && moe.sparseLayers(c.numHiddenLayers()) != c.numHiddenLayers()) {
            throw new JtuneException("GGUF export of a Mixture-of-Experts model with dense layers (mlp_only_layers "
                    + moe.mlpOnlyLayers() + ", decoder_sparse_step " + moe.decoderSparseStep() + ") is not supported yet:"
                    + " llama.cpp's " + family(c.modelType()).ggufArchitecture() + " makes every layer sparse");
        }
    }

    /**
     * For a q/k/v projection grouped per kv head (BLOOM, Falcon: per group its query heads, then its
     * key and value head), the source row of each row in llama.cpp's order: all q, all k, all v.
     */
    public static int[] ungroupedRows(ModelConfig c) {
        int heads = c.numAttentionHeads(), kvHeads = c.numKeyValueHeads(), d = c.headDim(), perGroup = heads / kvHeads;
        int[] order = new int[(heads + 2 * kvHeads) * d];
        int at = 0;
        for (int h = 0; h < heads; h++) {               // query head h sits in group h / perGroup
            int start = (h / perGroup) * (perGroup + 2) * d + (h % perGroup) * d;
            for (int x = 0; x < d; x++) order[at++] = start + x;
        }
        for (int kv = 0; kv < 2; kv++) {                // then every group's key head, then every value head
            for (int g = 0; g < kvHeads; g++) {
                int start = (g * (perGroup + 2) + perGroup + kv) * d;
                for (int x = 0; x < d; x++) order[at++] = start + x;
            }
        }
        return order;
    }

    /** general.architecture for an HF model_type. */
    public static String architecture(String modelType) {
        return family(modelType).ggufArchitecture();
    }

    private static ModelFamily family(String modelType) {
        ModelFamily family = Families.find(modelType == null ? null : modelType.toLowerCase(Locale.ROOT));
        if (family == null) {
            List<String> types = Families.modelTypes();
            String supported = String.join(", ", types.subList(0, types.size() - 1)) + " and " + types.getLast();
            throw new JtuneException("GGUF export supports model_type " + supported + ", not '" + modelType + "'");
        }
        return family;
    }

    private static void addHyperParameters(GgufMetadata m, ModelFamily family, ModelConfig c, GgufFileType type) {
        String arch = family.ggufArchitecture();
        m.putUint32(arch + ".block_count", c.numHiddenLayers());
        m.putUint32(arch + ".context_length", c.maxPositionEmbeddings());
        m.putUint32(arch + ".embedding_length", c.hiddenSize());
        m.putUint32(arch + ".feed_forward_length", c.intermediateSize());
        m.putUint32(arch + ".attention.head_count", c.numAttentionHeads());
        m.putUint32(arch + ".attention.head_count_kv", c.numKeyValueHeads());
        if (family.norm().hasBias()) {
            // The converter's GPT2Model / BloomModel / FalconModel: LayerNorm's epsilon, no RoPE keys
            // (GPT-2 and BLOOM have no rotation; Falcon's base is llama.cpp's default 10000).
            m.putFloat32(arch + ".attention.layer_norm_epsilon", c.rmsNormEps());
            // FalconModel: query_key_value is written regrouped to all q, all k, all v (see addUngrouped)
            if (arch.equals("falcon")) m.putString("falcon.tensor_data_layout", "jploski");
            m.putUint32("general.file_type", type.fileTypeId());
            return;
        }
        addRopeScaling(m, arch, c.rope());
        m.putFloat32(arch + ".rope.freq_base", c.rope().theta());
        m.putFloat32(arch + ".attention.layer_norm_rms_epsilon", c.rmsNormEps());
        // The converter writes these when config.json has head_dim: always for a family whose config
        // class has a head_dim default of its own (Qwen3), and an explicit head_dim that differs from
        // hidden/heads must reach llama.cpp.
        if (family.defaults().headDim() != null || c.headDim() != c.hiddenSize() / c.numAttentionHeads()) {
            m.putUint32(arch + ".attention.key_length", c.headDim());
            m.putUint32(arch + ".attention.value_length", c.headDim());
        }
        // Gemma 2's soft-caps and alternating window, as the converter's Gemma2Model writes them.
        if (c.attnLogitSoftcap() > 0) m.putFloat32(arch + ".attn_logit_softcapping", c.attnLogitSoftcap());
        if (c.finalLogitSoftcap() > 0) m.putFloat32(arch + ".final_logit_softcapping", c.finalLogitSoftcap());
        if (c.slidingLayers() != null && c.slidingWindow() != null) m.putUint32(arch + ".attention.sliding_window", c.slidingWindow());
        if (arch.equals("phi3")) addPhi3Rope(m, c);
        // The converter's Glm4Model and ChatGLMModel: only the first partial_rotary_factor share of each head rotates.
        if (family.positions() == PositionEncoding.ROTARY_INTERLEAVED) m.putUint32(arch + ".rope.dimension_count", c.rotaryDim());
        if (c.moe() != null) addExperts(m, arch, c);
        m.putUint32("general.file_type", type.fileTypeId());
        if (arch.equals("llama")) {
            m.putUint32("llama.vocab_size", c.vocabSize());
            m.putUint32("llama.rope.dimension_count", c.headDim());
        }
    }

    /**
     * A Mixture-of-Experts model's keys, as the converter writes them: the expert count and how many
     * a token uses (MixtralModel, under llama); Qwen2MoeModel and Qwen3MoeModel add the experts' width
     * and Qwen2-MoE the shared expert's. llama.cpp's qwen2moe / qwen3moe / llama graphs make every
     * layer sparse, so dense mlp_only_layers are refused.
     */
    private static void addExperts(GgufMetadata m, String arch, ModelConfig c) {
        requireExportable(c);
        io.jtune.model.arch.MoeConfig moe = c.moe();
        m.putUint32(arch + ".expert_count", moe.numExperts());
        m.putUint32(arch + ".expert_used_count", moe.topK());
        if (!arch.equals("llama")) m.putUint32(arch + ".expert_feed_forward_length", moe.expertIntermediateSize());
        if (moe.hasSharedExpert()) m.putUint32(arch + ".expert_shared_feed_forward_length", moe.sharedExpertIntermediateSize());
    }

    /**
     * The converter's Phi3MiniModel keys: the original context, the rotated dimensions
     * (partial_rotary_factor), the sliding window (0 when none: how llama.cpp tells Phi-4 apart), and
     * for LongRoPE the attention factor (its factors go into rope_factors_long/short tensors).
     */
    private static void addPhi3Rope(GgufMetadata m, ModelConfig c) {
        RopeConfig rope = c.rope();
        m.putUint32("phi3.rope.scaling.original_context_length", rope.originalMaxPositionEmbeddings());
        m.putUint32("phi3.rope.dimension_count", c.rotaryDim());
        m.putUint32("phi3.attention.sliding_window", c.slidingWindow() == null ? 0 : c.slidingWindow());
        if (rope.isLongRope()) m.putFloat32("phi3.rope.scaling.attn_factor", rope.attentionFactor());
    }

    private static void addRopeScaling(GgufMetadata m, String arch, RopeConfig rope) {
        String t = rope.type() == null ? "default" : rope.type().toLowerCase(Locale.ROOT);
        switch (t) {
            case "default", "none" -> { }
            case "longrope" -> { } // phi3: the factors are tensors and the attention factor a key of its own
            case "llama3" -> { } // carried by the rope_freqs tensor, as in the converter
            case "linear" -> {
                m.putString(arch + ".rope.scaling.type", "linear");
                m.putFloat32(arch + ".rope.scaling.factor", rope.factor());
            }
            case "yarn" -> {
                m.putString(arch + ".rope.scaling.type", "yarn");
                m.putFloat32(arch + ".rope.scaling.factor", rope.factor());
                m.putUint32(arch + ".rope.scaling.original_context_length", rope.originalMaxPositionEmbeddings());
            }
            default -> throw new JtuneException("GGUF export does not support rope_scaling type '" + rope.type()
                    + "' yet; supported: default, linear, yarn, llama3");
        }
    }

    /** The tokenizer.* keys of {@code t}, as the converter writes them. */
    public static void addTokenizer(GgufMetadata m, GgufTokenizer t) {
        m.putString("tokenizer.ggml.model", t.model());
        if (t.pre() != null) m.putString("tokenizer.ggml.pre", t.pre());
        m.putStringArray("tokenizer.ggml.tokens", t.tokens());
        if (t.scores() != null) m.putFloat32Array("tokenizer.ggml.scores", t.scores());
        m.putInt32Array("tokenizer.ggml.token_type", t.tokenTypes());
        if (t.merges() != null) m.putStringArray("tokenizer.ggml.merges", t.merges());
        if (t.bosTokenId() != null) m.putUint32("tokenizer.ggml.bos_token_id", t.bosTokenId());
        if (t.eosTokenId() != null) m.putUint32("tokenizer.ggml.eos_token_id", t.eosTokenId());
        if (t.unknownTokenId() != null) m.putUint32("tokenizer.ggml.unknown_token_id", t.unknownTokenId());
        if (t.paddingTokenId() != null) m.putUint32("tokenizer.ggml.padding_token_id", t.paddingTokenId());
        if (t.addBosToken() != null) m.putBool("tokenizer.ggml.add_bos_token", t.addBosToken());
        if (t.addEosToken() != null) m.putBool("tokenizer.ggml.add_eos_token", t.addEosToken());
        if (t.addSpacePrefix() != null) m.putBool("tokenizer.ggml.add_space_prefix", t.addSpacePrefix());
        if (t.chatTemplate() != null && !t.chatTemplate().isEmpty()) m.putString("tokenizer.chat_template", t.chatTemplate());
    }

    /**
     * The tensor list: the family's tensors under their GGUF names, shapes checked, types chosen, q/k
     * permuted for llama.
     */
    private static final class TensorMapping {
        private final GgufModelSource source;
        private final ModelFamily family;
        private final ModelConfig c;
        private final GgufFileType type;
        private final boolean permuteQK;
        private final int embeddingRows;
        private final List<GgufTensor> out = new ArrayList<>();

        TensorMapping(GgufModelSource source, ModelFamily family, ModelConfig c, GgufFileType type, boolean permuteQK,
                      int embeddingRows) {
            this.source = source;
            this.family = family;
            this.c = c;
            this.type = type;
            this.permuteQK = permuteQK;
            this.embeddingRows = embeddingRows;
        }

        List<GgufTensor> tensors() {
            if ("llama3".equalsIgnoreCase(c.rope().type())) {
                out.add(GgufTensor.vector("rope_freqs.weight", GgmlType.F32, TensorRows.vector(Llama3RopeFactors.compute(c))));
            }
            if (c.rope().isLongRope()) {
                // The converter's Phi3MiniModel writes LongRoPE's factors first, long then short, as F32.
                out.add(GgufTensor.vector("rope_factors_long.weight", GgmlType.F32, TensorRows.vector(floats(c.rope().longFactor()))));
                out.add(GgufTensor.vector("rope_factors_short.weight", GgmlType.F32, TensorRows.vector(floats(c.rope().shortFactor()))));
            }
            family.stemTensors(c).forEach(this::add);
            for (int l = 0; l < c.numHiddenLayers(); l++) {
                List<ModelTensor> layer = family.layerTensors(c, l);
                layer.stream().filter(t -> !t.role().perExpert()).sorted(FILE_ORDER).forEach(this::add);
                if (c.moe() != null) addStackedExperts(layer);
            }
            // with tied embeddings llama.cpp reuses token_embd for the output, so output.weight is left out
            family.headTensors(c, !c.tieWordEmbeddings()).forEach(this::add);
            return out;
        }

        /**
         * The order jtune writes a layer's tensors in: attention norm; q, k, v weights, then their
         * biases; q/k norms; o_proj; MLP norm; gate, up, down weights, then their biases. llama.cpp
         * finds tensors by name, so any order loads; this one keeps exports byte-identical.
         */
        private static final Comparator<ModelTensor> FILE_ORDER =
                Comparator.comparingInt((ModelTensor t) -> rankInLayer(t.role())).thenComparing(ModelTensor::bias);

        private static float[] floats(double[] values) {
            float[] out = new float[values.length];
            for (int i = 0; i < values.length; i++) out[i] = (float) values[i];
            return out;
        }

        private static int rankInLayer(ModuleRole role) {
            return switch (role) {
                case ATTENTION_NORM -> 0;
                case Q_PROJ, K_PROJ, V_PROJ, QKV_PROJ, QKV_PROJ_GROUPED -> 1;
                case Q_NORM, K_NORM -> 2;
                case O_PROJ, ATTENTION_OUTPUT_NORM -> 3;
                case MLP_NORM -> 4;
                case GATE_PROJ, UP_PROJ, GATE_UP_PROJ, DOWN_PROJ, MLP_OUTPUT_NORM -> 5;
                case ROUTER -> 6;
                case SHARED_EXPERT_ROUTER, SHARED_EXPERT_GATE, SHARED_EXPERT_UP, SHARED_EXPERT_DOWN -> 7;
                default -> throw new IllegalArgumentException(role + " is not a layer module");
            };
        }

        /**
         * The experts of one layer as llama.cpp stores them: per projection one 3-D tensor
         * [num_experts, out, in] (ffn_gate_exps, ffn_up_exps, ffn_down_exps), expert e's rows at e·out.
         */
        private void addStackedExperts(List<ModelTensor> layer) {
            for (ModuleRole role : List.of(ModuleRole.EXPERT_GATE, ModuleRole.EXPERT_UP, ModuleRole.EXPERT_DOWN)) {
                List<ModelTensor> experts = layer.stream().filter(t -> t.role() == role).toList();
                if (experts.isEmpty()) continue;
                ModelTensor first = experts.getFirst();
                int rows = first.rows(), cols = first.cols();
                List<TensorRows> parts = new ArrayList<>();
                for (ModelTensor t : experts) {
                    Matrix w = require(t.name());
                    if (w.rows() != rows || w.cols() != cols) {
                        throw new JtuneException("tensor " + t.name() + " has shape [" + w.rows() + ", " + w.cols() + "], expected ["
                                + rows + ", " + cols + "] from config.json");
                    }
                    parts.add(TensorRows.of(w));
                }
                out.add(new GgufTensor(first.gguf(), new long[] {experts.size(), rows, cols}, weightType(cols), stacked(parts, rows, cols)));
            }
        }

        private static TensorRows stacked(List<TensorRows> parts, int rows, int cols) {
            return new TensorRows() {
                @Override public int rowCount() { return parts.size() * rows; }
                @Override public int rowLength() { return cols; }
                @Override public void readRow(int r, float[] dst) { parts.get(r / rows).readRow(r % rows, dst); }
            };
        }

        /** The file type's weight type; gguf-py's F16 fallback for rows that are not whole quantization blocks. */
        private GgmlType weightType(int cols) {
            GgmlType t = type.weightType();
            return (t == GgmlType.Q8_0 || t == GgmlType.Q4_0) && cols % Q8_0.BLOCK != 0 ? GgmlType.F16 : t;
        }

        private void add(ModelTensor t) {
            int heads = permuteQK ? permutedHeads(t.role()) : 0;
            if (t.role() == ModuleRole.QKV_PROJ_GROUPED) {
                addUngrouped(t);
                return;
            }
            if (t.vector()) {
                // llama.cpp scales by the stored norm weight itself: Gemma's (1 + w) is written with the 1 added.
                float offset = t.spec().kind() == ModuleSpec.Kind.NORM ? family.norm().weightOffset() : 0f;
                vector(t.name(), t.gguf(), t.cols(), heads, offset);
            } else {
                matrix(t.name(), t.gguf(), t.rows(), t.cols(), heads);
            }
        }

        /**
         * A q/k/v projection grouped per kv head (BLOOM, Falcon) as the converters write it: all q rows,
         * then all k rows, then all v rows (weight and bias alike).
         */
        private void addUngrouped(ModelTensor t) {
            int[] order = ungroupedRows(c);
            Matrix m = require(t.name());
            if (t.vector()) {
                float[] stored = new float[order.length], values = new float[order.length];
                m.readRow(0, 0, order.length, stored, 0);
                for (int i = 0; i < order.length; i++) values[i] = stored[order[i]];
                out.add(GgufTensor.vector(t.gguf(), GgmlType.F32, TensorRows.vector(values)));
            } else {
                GgmlType type = this.type.weightType();
                if ((type == GgmlType.Q8_0 || type == GgmlType.Q4_0) && t.cols() % Q8_0.BLOCK != 0) type = GgmlType.F16;
                out.add(GgufTensor.matrix(t.gguf(), type, TensorRows.of(m).reorderRows(order)));
            }
        }

        /** llama.cpp's Llama layout interleaves q and k rows per head (weights and biases alike). */
        private int permutedHeads(ModuleRole role) {
            return switch (role) {
                case Q_PROJ -> c.numAttentionHeads();
                case K_PROJ -> c.numKeyValueHeads();
                default -> 0;
            };
        }

        /** A 2-D weight; {@code heads} > 0 applies the Llama q/k permutation with that many heads. */
        private void matrix(String hfName, String ggufName, int rows, int cols, int heads) {
            Matrix w = require(hfName);
            if (w.rows() != rows || w.cols() != cols) {
                throw new JtuneException("tensor " + hfName + " has shape [" + w.rows() + ", " + w.cols() + "], expected ["
                        + rows + ", " + cols + "] from config.json");
            }
            TensorRows src = TensorRows.of(w);
            if (heads > 0) src = src.reorderRows(LlamaPermutation.sourceRows(rows, heads, hfName));
            if (ggufName.equals("token_embd.weight") && embeddingRows < rows) {
                src = src.firstRows(embeddingRows);
            }
            // gguf-py refuses Q8_0 for rows that are not whole blocks and the converter falls back to F16;
            // the converter keeps a MoE router (ffn_gate_inp) in F32 whatever the file type
            GgmlType t = ggufName.endsWith(".ffn_gate_inp.weight") ? GgmlType.F32 : weightType(cols);
            out.add(GgufTensor.matrix(ggufName, t, src));
        }

        /**
         * A 1-D tensor, always F32 as in the converter, plus {@code offset} on every value; {@code heads} > 0
         * permutes it like q/k rows.
         */
        private void vector(String hfName, String ggufName, int length, int heads, float offset) {
            Matrix v = require(hfName);
            if ((long) v.rows() * v.cols() != length || (v.rows() != 1 && v.cols() != 1)) {
                throw new JtuneException("tensor " + hfName + " has shape [" + v.rows() + ", " + v.cols() + "], expected a vector of "
                        + length + " from config.json");
            }
            float[] values = new float[length];
            if (v.rows() == 1) {
                v.readRow(0, 0, length, values, 0);
            } else {
                for (int i = 0; i < length; i++) values[i] = v.get(i, 0);
            }
            if (offset != 0f) for (int i = 0; i < length; i++) values[i] += offset;
            if (heads > 0) {
                int[] order = LlamaPermutation.sourceRows(length, heads, hfName);
                float[] permuted = new float[length];
                for (int i = 0; i < length; i++) permuted[i] = values[order[i]];
                values = permuted;
            }
            out.add(GgufTensor.vector(ggufName, GgmlType.F32, TensorRows.vector(values)));
        }

        private Matrix require(String hfName) {
            Matrix m = source.tensor(hfName);
            if (m == null) throw new JtuneException("the checkpoint has no tensor " + hfName + ", which a " + c.modelType() + " model needs");
            return m;
        }
    }
}
