package io.jtune.io.gguf;

import io.jtune.nn.RopeConfig;
import io.jtune.JtuneException;
import io.jtune.model.ModelConfig;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Q8_0;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Maps a Llama-family Hugging Face checkpoint (llama, mistral, qwen2, qwen3) to a GGUF file the way
 * llama.cpp's convert_hf_to_gguf.py does (LlamaModel, Qwen2Model, Qwen3Model): architecture and
 * hyper-parameter keys, tensor names, the q/k row permutation for Llama-style checkpoints, F32
 * norms/biases, the llama3 rope_freqs tensor, and the tokenizer keys.
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
        String arch = architecture(c.modelType());
        GgufMetadata m = new GgufMetadata();
        m.putString("general.architecture", arch);
        m.putString("general.type", "model");
        m.putString("general.name", source.name());
        addHyperParameters(m, arch, c, type);
        m.putUint32("general.quantization_version", QUANTIZATION_VERSION);
        addTokenizer(m, source.tokenizer());

        List<GgufTensor> tensors = new TensorMapping(source, c, type, arch.equals("llama")).tensors();
        int vocabRows = (int) tensors.stream().filter(t -> t.name().equals("token_embd.weight")).findFirst().orElseThrow().shape()[0];
        if (source.tokenizer().tokens().size() != vocabRows) {
            throw new JtuneException("the tokenizer has " + source.tokenizer().tokens().size() + " tokens but the embedding has "
                    + vocabRows + " rows; llama.cpp needs one token per row (pad with unused tokens)");
        }
        return new Plan(m, tensors);
    }

    /** general.architecture for an HF model_type. */
    public static String architecture(String modelType) {
        return switch (modelType == null ? "" : modelType.toLowerCase(Locale.ROOT)) {
            case "llama", "mistral" -> "llama";
            case "qwen2" -> "qwen2";
            case "qwen3" -> "qwen3";
            default -> throw new JtuneException("GGUF export supports model_type llama, mistral, qwen2 and qwen3, not '" + modelType + "'");
        };
    }

    private static void addHyperParameters(GgufMetadata m, String arch, ModelConfig c, GgufFileType type) {
        m.putUint32(arch + ".block_count", c.numHiddenLayers());
        m.putUint32(arch + ".context_length", c.maxPositionEmbeddings());
        m.putUint32(arch + ".embedding_length", c.hiddenSize());
        m.putUint32(arch + ".feed_forward_length", c.intermediateSize());
        m.putUint32(arch + ".attention.head_count", c.numAttentionHeads());
        m.putUint32(arch + ".attention.head_count_kv", c.numKeyValueHeads());
        addRopeScaling(m, arch, c.rope());
        m.putFloat32(arch + ".rope.freq_base", c.rope().theta());
        m.putFloat32(arch + ".attention.layer_norm_rms_epsilon", c.rmsNormEps());
        // The converter writes these when config.json has head_dim; Qwen3 always has it, and an
        // explicit head_dim that differs from hidden/heads must reach llama.cpp.
        if (arch.equals("qwen3") || c.headDim() != c.hiddenSize() / c.numAttentionHeads()) {
            m.putUint32(arch + ".attention.key_length", c.headDim());
            m.putUint32(arch + ".attention.value_length", c.headDim());
        }
        m.putUint32("general.file_type", type.fileTypeId());
        if (arch.equals("llama")) {
            m.putUint32("llama.vocab_size", c.vocabSize());
            m.putUint32("llama.rope.dimension_count", c.headDim());
        }
    }

    private static void addRopeScaling(GgufMetadata m, String arch, RopeConfig rope) {
        String t = rope.type() == null ? "default" : rope.type().toLowerCase(Locale.ROOT);
        switch (t) {
            case "default", "none" -> { }
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

    private static void addTokenizer(GgufMetadata m, GgufTokenizer t) {
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

    /** The tensor list: HF names to GGUF names, shapes checked, types chosen, q/k permuted for llama. */
    private static final class TensorMapping {
        private final GgufModelSource source;
        private final ModelConfig c;
        private final GgufFileType type;
        private final boolean permuteQK;
        private final List<GgufTensor> out = new ArrayList<>();

        TensorMapping(GgufModelSource source, ModelConfig c, GgufFileType type, boolean permuteQK) {
            this.source = source;
            this.c = c;
            this.type = type;
            this.permuteQK = permuteQK;
        }

        List<GgufTensor> tensors() {
            if ("llama3".equalsIgnoreCase(c.rope().type())) {
                out.add(GgufTensor.vector("rope_freqs.weight", GgmlType.F32, TensorRows.vector(Llama3RopeFactors.compute(c))));
            }
            matrix("model.embed_tokens.weight", "token_embd.weight", c.vocabSize(), c.hiddenSize(), 0);
            for (int l = 0; l < c.numHiddenLayers(); l++) layer(l);
            vector("model.norm.weight", "output_norm.weight", c.hiddenSize(), true, 0);
            // with tied embeddings llama.cpp reuses token_embd for the output, so output.weight is left out
            if (!c.tieWordEmbeddings()) matrix("lm_head.weight", "output.weight", c.vocabSize(), c.hiddenSize(), 0);
            return out;
        }

        private void layer(int l) {
            String hf = "model.layers." + l + ".";
            String gg = "blk." + l + ".";
            vector(hf + "input_layernorm.weight", gg + "attn_norm.weight", c.hiddenSize(), true, 0);
            matrix(hf + "self_attn.q_proj.weight", gg + "attn_q.weight", c.qDim(), c.hiddenSize(), permuteQK ? c.numAttentionHeads() : 0);
            matrix(hf + "self_attn.k_proj.weight", gg + "attn_k.weight", c.kvDim(), c.hiddenSize(), permuteQK ? c.numKeyValueHeads() : 0);
            matrix(hf + "self_attn.v_proj.weight", gg + "attn_v.weight", c.kvDim(), c.hiddenSize(), 0);
            if (c.attentionBias()) {
                vector(hf + "self_attn.q_proj.bias", gg + "attn_q.bias", c.qDim(), true, permuteQK ? c.numAttentionHeads() : 0);
                vector(hf + "self_attn.k_proj.bias", gg + "attn_k.bias", c.kvDim(), true, permuteQK ? c.numKeyValueHeads() : 0);
                vector(hf + "self_attn.v_proj.bias", gg + "attn_v.bias", c.kvDim(), true, 0);
            }
            if (c.qkNorm()) {
                vector(hf + "self_attn.q_norm.weight", gg + "attn_q_norm.weight", c.headDim(), true, 0);
                vector(hf + "self_attn.k_norm.weight", gg + "attn_k_norm.weight", c.headDim(), true, 0);
            }
            matrix(hf + "self_attn.o_proj.weight", gg + "attn_output.weight", c.hiddenSize(), c.qDim(), 0);
            if (c.outputProjectionBias()) vector(hf + "self_attn.o_proj.bias", gg + "attn_output.bias", c.hiddenSize(), true, 0);
            vector(hf + "post_attention_layernorm.weight", gg + "ffn_norm.weight", c.hiddenSize(), true, 0);
            matrix(hf + "mlp.gate_proj.weight", gg + "ffn_gate.weight", c.intermediateSize(), c.hiddenSize(), 0);
            matrix(hf + "mlp.up_proj.weight", gg + "ffn_up.weight", c.intermediateSize(), c.hiddenSize(), 0);
            matrix(hf + "mlp.down_proj.weight", gg + "ffn_down.weight", c.hiddenSize(), c.intermediateSize(), 0);
            if (c.mlpBias()) {
                vector(hf + "mlp.gate_proj.bias", gg + "ffn_gate.bias", c.intermediateSize(), true, 0);
                vector(hf + "mlp.up_proj.bias", gg + "ffn_up.bias", c.intermediateSize(), true, 0);
                vector(hf + "mlp.down_proj.bias", gg + "ffn_down.bias", c.hiddenSize(), true, 0);
            }
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
            GgmlType t = type.weightType();
            // gguf-py refuses Q8_0 for rows that are not whole blocks and the converter falls back to F16
            if (t == GgmlType.Q8_0 && cols % Q8_0.BLOCK != 0) t = GgmlType.F16;
            out.add(GgufTensor.matrix(ggufName, t, src));
        }

        /** A 1-D tensor, always F32 as in the converter; {@code heads} > 0 permutes it like q/k rows. */
        private void vector(String hfName, String ggufName, int length, boolean required, int heads) {
            Matrix v = required ? require(hfName) : source.tensor(hfName);
            if (v == null) return;
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
