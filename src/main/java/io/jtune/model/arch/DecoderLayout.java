package io.jtune.model.arch;

import java.util.List;
import java.util.function.Predicate;

/**
 * The module list Llama-style checkpoints share (LlamaForCausalLM and the families derived from it):
 * model.embed_tokens; per layer self_attn.{q,k,v,o}_proj, optional self_attn.{q,k}_norm, mlp.{gate,up,down}_proj,
 * input_layernorm and post_attention_layernorm; model.norm and lm_head. Families differ in which
 * projections carry biases (config flags) and whether q/k norms exist.
 */
public final class DecoderLayout {
    private DecoderLayout() {}

    public static List<ModuleSpec> stem() {
        return List.of(ModuleSpec.embedding("model.embed_tokens", "token_embd"));
    }

    /**
     * Biases follow the config's attention_bias / o_proj / mlp_bias flags (the config reader sets
     * them by the family's {@link HfConfigKeys}: qwen2 always biases q/k/v, for instance).
     *
     * @param qkNorm whether the family normalises each q and k head (qwen3)
     */
    public static List<ModuleSpec> layer(boolean qkNorm) {
        Predicate<ModelConfig> qkvBias = ModelConfig::attentionBias;
        Predicate<ModelConfig> oBias = ModelConfig::outputProjectionBias;
        Predicate<ModelConfig> mlpBias = ModelConfig::mlpBias;
        return List.of(
                ModuleSpec.linear(ModuleRole.Q_PROJ, "self_attn.q_proj", "attn_q", ModelConfig::qDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.K_PROJ, "self_attn.k_proj", "attn_k", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.V_PROJ, "self_attn.v_proj", "attn_v", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attn.o_proj", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim, oBias),
                ModuleSpec.norm(ModuleRole.Q_NORM, "self_attn.q_norm", "attn_q_norm", ModelConfig::headDim).onlyIf(c -> qkNorm),
                ModuleSpec.norm(ModuleRole.K_NORM, "self_attn.k_norm", "attn_k_norm", ModelConfig::headDim).onlyIf(c -> qkNorm),
                ModuleSpec.linear(ModuleRole.GATE_PROJ, "mlp.gate_proj", "ffn_gate", ModelConfig::intermediateSize, ModelConfig::hiddenSize, mlpBias),
                ModuleSpec.linear(ModuleRole.UP_PROJ, "mlp.up_proj", "ffn_up", ModelConfig::intermediateSize, ModelConfig::hiddenSize, mlpBias),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.down_proj", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize, mlpBias),
                ModuleSpec.norm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize));
    }

    /**
     * Gemma 2's and Gemma 3's layer: Llama's projections (in transformers' registration order:
     * attention, MLP, then the norms) with a norm before and after each branch. Note the names:
     * post_attention_layernorm normalises attention's output here, and pre_feedforward_layernorm is
     * the MLP's input norm; llama.cpp calls them post_attention_norm and ffn_norm.
     *
     * @param qkNorm whether the family normalises each q and k head (Gemma 3)
     */
    public static List<ModuleSpec> sandwichLayer(boolean qkNorm) {
        Predicate<ModelConfig> qkvBias = ModelConfig::attentionBias;
        Predicate<ModelConfig> oBias = ModelConfig::outputProjectionBias;
        Predicate<ModelConfig> noBias = c -> false;
        return List.of(
                ModuleSpec.linear(ModuleRole.Q_PROJ, "self_attn.q_proj", "attn_q", ModelConfig::qDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.K_PROJ, "self_attn.k_proj", "attn_k", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.V_PROJ, "self_attn.v_proj", "attn_v", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attn.o_proj", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim, oBias),
                ModuleSpec.norm(ModuleRole.Q_NORM, "self_attn.q_norm", "attn_q_norm", ModelConfig::headDim).onlyIf(c -> qkNorm),
                ModuleSpec.norm(ModuleRole.K_NORM, "self_attn.k_norm", "attn_k_norm", ModelConfig::headDim).onlyIf(c -> qkNorm),
                ModuleSpec.linear(ModuleRole.GATE_PROJ, "mlp.gate_proj", "ffn_gate", ModelConfig::intermediateSize, ModelConfig::hiddenSize, noBias),
                ModuleSpec.linear(ModuleRole.UP_PROJ, "mlp.up_proj", "ffn_up", ModelConfig::intermediateSize, ModelConfig::hiddenSize, noBias),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.down_proj", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize, noBias),
                ModuleSpec.norm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.ATTENTION_OUTPUT_NORM, "post_attention_layernorm", "post_attention_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_NORM, "pre_feedforward_layernorm", "ffn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_OUTPUT_NORM, "post_feedforward_layernorm", "post_ffw_norm", ModelConfig::hiddenSize));
    }

    /**
     * Phi-3's layer: q, k and v from one projection (self_attn.qkv_proj, [q | k | v] rows) and the MLP's
     * gate and up halves from another (mlp.gate_up_proj, gate first), no biases, pre-norm as Llama.
     * Registration order is transformers': o_proj before qkv_proj (Phi3Attention creates it first).
     * llama.cpp stores gate_up_proj whole as ffn_up (twice intermediate_size rows).
     */
    public static List<ModuleSpec> fusedLayer() {
        Predicate<ModelConfig> noBias = c -> false;
        return List.of(
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attn.o_proj", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim, noBias),
                ModuleSpec.linear(ModuleRole.QKV_PROJ, "self_attn.qkv_proj", "attn_qkv", c -> c.qDim() + 2 * c.kvDim(),
                        ModelConfig::hiddenSize, noBias),
                ModuleSpec.linear(ModuleRole.GATE_UP_PROJ, "mlp.gate_up_proj", "ffn_up", c -> 2 * c.intermediateSize(),
                        ModelConfig::hiddenSize, noBias),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.down_proj", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize, noBias),
                ModuleSpec.norm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize));
    }

    /**
     * GLM-4-0414's layer (Glm4DecoderLayer): q/k/v with biases (attention_bias, default true), o_proj
     * without, the MLP's gate and up from one projection (mlp.gate_up_proj, gate first), and a norm
     * before and after each branch. Its names differ from Gemma 2's: post_self_attn_layernorm
     * normalises attention's output, post_attention_layernorm is the MLP's input norm and
     * post_mlp_layernorm its output norm; llama.cpp calls them post_attention_norm, ffn_norm and
     * post_ffw_norm, and stores gate_up_proj whole as ffn_up. Registration order is transformers'.
     */
    public static List<ModuleSpec> glm4Layer() {
        Predicate<ModelConfig> qkvBias = ModelConfig::attentionBias;
        Predicate<ModelConfig> noBias = c -> false;
        return List.of(
                ModuleSpec.linear(ModuleRole.Q_PROJ, "self_attn.q_proj", "attn_q", ModelConfig::qDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.K_PROJ, "self_attn.k_proj", "attn_k", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.V_PROJ, "self_attn.v_proj", "attn_v", ModelConfig::kvDim, ModelConfig::hiddenSize, qkvBias),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attn.o_proj", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim, noBias),
                ModuleSpec.linear(ModuleRole.GATE_UP_PROJ, "mlp.gate_up_proj", "ffn_up", c -> 2 * c.intermediateSize(),
                        ModelConfig::hiddenSize, noBias),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.down_proj", "ffn_down", ModelConfig::hiddenSize, ModelConfig::intermediateSize, noBias),
                ModuleSpec.norm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.ATTENTION_OUTPUT_NORM, "post_self_attn_layernorm", "post_attention_norm", ModelConfig::hiddenSize),
                ModuleSpec.norm(ModuleRole.MLP_OUTPUT_NORM, "post_mlp_layernorm", "post_ffw_norm", ModelConfig::hiddenSize));
    }

    /**
     * ChatGLM's GLMBlock (ChatGLM3-6B, GLM-4-9B-chat): input_layernorm, self_attention.query_key_value
     * ([q | k | v] rows, k and v one head per multi-query group; bias with add_qkv_bias or
     * add_bias_linear), self_attention.dense, post_attention_layernorm, mlp.dense_h_to_4h ([gate | up])
     * and mlp.dense_4h_to_h (biases with add_bias_linear), in that registration order. llama.cpp's
     * names: attn_norm, attn_qkv, attn_output, ffn_norm, ffn_up, ffn_down.
     */
    public static List<ModuleSpec> chatGlmLayer() {
        return List.of(
                ModuleSpec.norm(ModuleRole.ATTENTION_NORM, "input_layernorm", "attn_norm", ModelConfig::hiddenSize),
                ModuleSpec.linear(ModuleRole.QKV_PROJ, "self_attention.query_key_value", "attn_qkv", c -> c.qDim() + 2 * c.kvDim(),
                        ModelConfig::hiddenSize, ModelConfig::attentionBias),
                ModuleSpec.linear(ModuleRole.O_PROJ, "self_attention.dense", "attn_output", ModelConfig::hiddenSize, ModelConfig::qDim,
                        ModelConfig::outputProjectionBias),
                ModuleSpec.norm(ModuleRole.MLP_NORM, "post_attention_layernorm", "ffn_norm", ModelConfig::hiddenSize),
                ModuleSpec.linear(ModuleRole.GATE_UP_PROJ, "mlp.dense_h_to_4h", "ffn_up", c -> 2 * c.intermediateSize(),
                        ModelConfig::hiddenSize, ModelConfig::mlpBias),
                ModuleSpec.linear(ModuleRole.DOWN_PROJ, "mlp.dense_4h_to_h", "ffn_down", ModelConfig::hiddenSize,
                        ModelConfig::intermediateSize, ModelConfig::mlpBias));
    }

    /** ChatGLM's embedding, transformer.embedding.word_embeddings. */
    public static List<ModuleSpec> chatGlmStem() {
        return List.of(ModuleSpec.embedding("transformer.embedding.word_embeddings", "token_embd"));
    }

    /** ChatGLM's final norm and output layer (never tied to the embedding). */
    public static List<ModuleSpec> chatGlmHead() {
        return List.of(
                ModuleSpec.norm(ModuleRole.FINAL_NORM, "transformer.encoder.final_layernorm", "output_norm", ModelConfig::hiddenSize),
                ModuleSpec.linear(ModuleRole.LM_HEAD, "transformer.output_layer", "output", ModelConfig::vocabSize, ModelConfig::hiddenSize,
                        c -> false));
    }

    public static List<ModuleSpec> head() {
        return List.of(
                ModuleSpec.norm(ModuleRole.FINAL_NORM, "model.norm", "output_norm", ModelConfig::hiddenSize),
                ModuleSpec.linear(ModuleRole.LM_HEAD, "lm_head", "output", ModelConfig::vocabSize, ModelConfig::hiddenSize, c -> false));
    }
}
