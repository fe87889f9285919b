package io.jtune.model.arch;

import io.jtune.JtuneException;
import io.jtune.nn.GatedActivation;
import io.jtune.nn.Normalization;
import io.jtune.tensor.DType;
import io.jtune.tensor.Numbers;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything jtune knows about one model family, in one place: its config.json and GGUF names, the
 * ops of its decoder block, and its modules in the order transformers registers them. The model
 * builder, the HF and GGUF tensor names, random initialisation, the memory estimate and the FLOP
 * count are all derived from this declaration, so a new family is a new declaration (and, where its
 * math is new, ops in nn/ with their backward).
 *
 * <p>The decoder block is pre-norm: {@code x + attention(norm(x))}, then {@code x + mlp(norm(x))},
 * with positions on q and k as {@link #positions} says, optional per-head q/k norms, and a gated MLP.
 *
 * @param modelType        config.json's model_type
 * @param hfArchitecture   config.json's architectures[0] (the transformers class)
 * @param ggufArchitecture llama.cpp's general.architecture
 * @param norm             the normalisation of every norm module
 * @param activation       the gated MLP's activation (config.json's hidden_act must name it)
 * @param positions        how attention sees token positions
 * @param stem             modules before the layers (the embedding)
 * @param layer            the modules of one decoder layer, in registration order
 * @param head             modules after the layers (final norm, lm_head)
 * @param defaults         transformers' defaults for keys config.json leaves out
 * @param hfKeys           how transformers reads this family's biases and sliding window from config.json
 * @param embeddingScale   what multiplies the token embeddings before the first layer
 * @param layersPath       where the checkpoint keeps its layers: "model.layers" (transformers' families),
 *                         "transformer.encoder.layers" (ChatGLM); layer i's modules sit under it at ".i."
 * @param hfNames          what else a checkpoint may hold: the base model's prefix it may leave out, ignorable buffers
 */
public record ModelFamily(String modelType, String hfArchitecture, String ggufArchitecture, Normalization norm,
                          GatedActivation activation, PositionEncoding positions, List<ModuleSpec> stem,
                          List<ModuleSpec> layer, List<ModuleSpec> head, HfDefaults defaults, HfConfigKeys hfKeys,
                          EmbeddingScale embeddingScale, String layersPath, HfNames hfNames) {

    /** transformers' layout: the layers under model.layers. */
    public static final String MODEL_LAYERS = "model.layers";

    public ModelFamily {
        stem = List.copyOf(stem);
        layer = List.copyOf(layer);
        head = List.copyOf(head);
    }

    /** A family with transformers' layer path (model.layers). */
    public ModelFamily(String modelType, String hfArchitecture, String ggufArchitecture, Normalization norm,
                       GatedActivation activation, PositionEncoding positions, List<ModuleSpec> stem,
                       List<ModuleSpec> layer, List<ModuleSpec> head, HfDefaults defaults, HfConfigKeys hfKeys,
                       EmbeddingScale embeddingScale) {
        this(modelType, hfArchitecture, ggufArchitecture, norm, activation, positions, stem, layer, head, defaults, hfKeys,
                embeddingScale, MODEL_LAYERS);
    }

    /** A family whose checkpoints hold nothing but its modules' tensors under their full names. */
    public ModelFamily(String modelType, String hfArchitecture, String ggufArchitecture, Normalization norm,
                       GatedActivation activation, PositionEncoding positions, List<ModuleSpec> stem,
                       List<ModuleSpec> layer, List<ModuleSpec> head, HfDefaults defaults, HfConfigKeys hfKeys,
                       EmbeddingScale embeddingScale, String layersPath) {
        this(modelType, hfArchitecture, ggufArchitecture, norm, activation, positions, stem, layer, head, defaults, hfKeys,
                embeddingScale, layersPath, HfNames.NONE);
    }

    /**
     * What a family's HF checkpoint may hold beyond its modules' tensors under their full names.
     *
     * @param basePrefix    the base model's attribute ("transformer.") that checkpoints saved from the base
     *                      model leave out (openai-community/gpt2 holds "h.0.ln_1.weight"; transformers
     *                      loads both); null when the family's checkpoints always carry it
     * @param ignoredBuffer a regex of non-parameter buffers old checkpoints hold and transformers ignores
     *                      (GPT-2's causal-mask attn.bias and attn.masked_bias); null for none
     */
    public record HfNames(String basePrefix, String ignoredBuffer) {
        public static final HfNames NONE = new HfNames(null, null);

        /** Whether a checkpoint tensor of this name is a buffer to skip. */
        public boolean isIgnoredBuffer(String name) {
            return ignoredBuffer != null && name.matches(ignoredBuffer);
        }

        /** The canonical name of a checkpoint tensor saved without the base model's prefix. */
        public String canonical(String stored) {
            if (basePrefix == null || stored.startsWith(basePrefix) || stored.startsWith("lm_head.")) return stored;
            return basePrefix + stored;
        }
    }

    /** Whether the checkpoint stores the layers' linear weights as [in x out] (GPT-2's Conv1D). */
    public boolean storesTransposedWeights() {
        return layer.stream().anyMatch(ModuleSpec::transposed);
    }

    /** The HF name of the token embedding's weight (what a tied lm_head reads). */
    public String embeddingWeightName() {
        for (ModuleSpec m : stem) if (m.role() == ModuleRole.EMBEDDING) return m.hfPath() + ".weight";
        throw new IllegalStateException(modelType + " declares no token embedding");
    }

    /** The prefix of layer {@code l}'s module paths, e.g. "model.layers.3.". */
    public String layerPrefix(int l) {
        return layersPath + "." + l + ".";
    }

    /** A family whose embeddings enter the layers as they are (Llama and its kin). */
    public ModelFamily(String modelType, String hfArchitecture, String ggufArchitecture, Normalization norm,
                       GatedActivation activation, PositionEncoding positions, List<ModuleSpec> stem,
                       List<ModuleSpec> layer, List<ModuleSpec> head, HfDefaults defaults, HfConfigKeys hfKeys) {
        this(modelType, hfArchitecture, ggufArchitecture, norm, activation, positions, stem, layer, head, defaults, hfKeys,
                EmbeddingScale.NONE);
    }

    /**
     * The config class defaults that differ between families (transformers' LlamaConfig,
     * MistralConfig, ...); null means "derived" (kv heads = heads, head_dim = hidden / heads) or absent;
     * an intermediateSize of 0 means 4 × hidden_size (GPT-2's n_inner None, BLOOM, Falcon).
     *
     * @param tieWordEmbeddings tie_word_embeddings when config.json leaves it out (GemmaConfig: true)
     * @param ropeTheta         rope_theta when config.json leaves it out (Gemma3TextConfig: 1e6)
     * @param partialRotaryFactor partial_rotary_factor when config.json leaves it out, for a family that
     *                          reads it (Glm4Config: 0.5; 1 elsewhere)
     */
    public record HfDefaults(int vocabSize, int intermediateSize, Integer numKeyValueHeads, int maxPositionEmbeddings,
                             Integer bosTokenId, Integer eosTokenId, Integer headDim, boolean tieWordEmbeddings,
                             double ropeTheta, double partialRotaryFactor) {
        /** Defaults of a config class whose heads rotate whole unless config.json says otherwise. */
        public HfDefaults(int vocabSize, int intermediateSize, Integer numKeyValueHeads, int maxPositionEmbeddings,
                          Integer bosTokenId, Integer eosTokenId, Integer headDim, boolean tieWordEmbeddings,
                          double ropeTheta) {
            this(vocabSize, intermediateSize, numKeyValueHeads, maxPositionEmbeddings, bosTokenId, eosTokenId, headDim,
                    tieWordEmbeddings, ropeTheta, 1.0);
        }

        /** Defaults of a config class whose embeddings are untied unless config.json says otherwise. */
        public HfDefaults(int vocabSize, int intermediateSize, Integer numKeyValueHeads, int maxPositionEmbeddings,
                          Integer bosTokenId, Integer eosTokenId, Integer headDim) {
            this(vocabSize, intermediateSize, numKeyValueHeads, maxPositionEmbeddings, bosTokenId, eosTokenId, headDim, false);
        }

        /** Defaults with rope_theta 10000, LlamaConfig's. */
        public HfDefaults(int vocabSize, int intermediateSize, Integer numKeyValueHeads, int maxPositionEmbeddings,
                          Integer bosTokenId, Integer eosTokenId, Integer headDim, boolean tieWordEmbeddings) {
            this(vocabSize, intermediateSize, numKeyValueHeads, maxPositionEmbeddings, bosTokenId, eosTokenId, headDim,
                    tieWordEmbeddings, 10000.0);
        }
    }

    /** What the token embeddings are multiplied by before the first layer. */
    public enum EmbeddingScale {
        /** Nothing: the embedding rows are the first hidden states. */
        NONE,
        /**
         * √hidden_size, as a tensor of the model's dtype (Gemma's normalizer): HF rounds √hidden to
         * bf16 or fp16 when the model runs in that dtype, so jtune rounds it to the checkpoint's
         * torch_dtype (fp32 and unspecified: not rounded).
         */
        SQRT_HIDDEN_IN_MODEL_DTYPE;

        /** The multiplier for a model of this config (1 for {@link #NONE}). */
        public float multiplier(ModelConfig c) {
            if (this == NONE) return 1f;
            float root = (float) Math.sqrt(c.hiddenSize());
            if (c.dtype() == DType.BF16) return Numbers.bf16ToFloat(Numbers.floatToBf16(root));
            if (c.dtype() == DType.F16) return Numbers.f16ToFloat(Numbers.floatToF16(root));
            return root;
        }
    }

    /** The same family with another name and activation (e.g. a variant declared in a test). */
    public ModelFamily withActivation(String newModelType, GatedActivation newActivation) {
        return new ModelFamily(newModelType, hfArchitecture, ggufArchitecture, norm, newActivation, positions, stem, layer,
                head, defaults, hfKeys, embeddingScale, layersPath, hfNames);
    }

    /**
     * Every tensor of a model of this config, in torch's named_parameters order. {@code withLmHead}
     * false leaves out lm_head (a tied head is the embedding).
     */
    public List<ModelTensor> tensors(ModelConfig c, boolean withLmHead) {
        List<ModelTensor> out = new ArrayList<>(stemTensors(c));
        for (int l = 0; l < c.numHiddenLayers(); l++) out.addAll(layerTensors(c, l));
        out.addAll(headTensors(c, withLmHead));
        return out;
    }

    /** The tensors before the layers (the embedding). */
    public List<ModelTensor> stemTensors(ModelConfig c) {
        List<ModelTensor> out = new ArrayList<>();
        for (ModuleSpec m : stem) add(out, m, c, -1, m.hfPath(), m.ggufName());
        return out;
    }

    /** The tensors of decoder layer {@code l}, in registration order. */
    public List<ModelTensor> layerTensors(ModelConfig c, int l) {
        List<ModelTensor> out = new ArrayList<>();
        for (ModuleSpec m : layer) {
            if (c.moe() != null && (m.role().sparseMoe() ? !c.moe().sparse(l) : m.role().denseMlp() && c.moe().sparse(l))) {
                continue;   // a MoE model's layer has either the sparse block or the dense MLP
            }
            if (m.role().perExpert()) continue;   // added expert by expert below, after the router
            add(out, m, c, l, layerPrefix(l) + m.hfPath(), "blk." + l + "." + m.ggufName());
            if (m.role() == ModuleRole.ROUTER) addExperts(out, c, l);
        }
        return out;
    }

    /**
     * Every expert's modules in torch's order, expert by expert ("experts.{e}.w1", w2, w3 with
     * e = 0, 1, ...). Their GGUF name is the stacked tensor's that holds them: llama.cpp keeps one 3-D
     * tensor [experts, out, in] per projection (blk.N.ffn_gate_exps), expert e at index e.
     */
    private void addExperts(List<ModelTensor> out, ModelConfig c, int l) {
        for (int e = 0; e < c.moe().numExperts(); e++) {
            for (ModuleSpec m : layer) {
                if (!m.role().perExpert()) continue;
                add(out, m, c, l, layerPrefix(l) + m.hfPath().replace("{e}", Integer.toString(e)),
                        "blk." + l + "." + m.ggufName());
            }
        }
    }

    /** The tensors after the layers (final norm, and lm_head when {@code withLmHead}). */
    public List<ModelTensor> headTensors(ModelConfig c, boolean withLmHead) {
        List<ModelTensor> out = new ArrayList<>();
        for (ModuleSpec m : head) {
            if (m.role() == ModuleRole.LM_HEAD && !withLmHead) continue;
            add(out, m, c, -1, m.hfPath(), m.ggufName());
        }
        return out;
    }

    /**
     * The weights of one decoder layer's linear modules (every layer has the same), each [out x in]:
     * what LoRA adapts and what most of a step's FLOPs multiply with.
     */
    public List<ModelTensor> layerLinearWeights(ModelConfig c) {
        return layerTensors(c, 0).stream().filter(t -> t.role().isLayerLinear() && !t.bias()).toList();
    }

    /**
     * The linear weights of every decoder layer, each [out x in]: what {@link #layerLinearWeights}
     * gives per layer, for models whose layers differ (a MoE model's dense mlp_only_layers).
     */
    public List<ModelTensor> allLayerLinearWeights(ModelConfig c) {
        List<ModelTensor> out = new ArrayList<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            for (ModelTensor t : layerTensors(c, l)) if (t.role().isLayerLinear() && !t.bias()) out.add(t);
        }
        return out;
    }

    /**
     * The share of tokens a layer tensor's module sees: top_k / num_experts for an expert's
     * projections (each token runs through top_k of them), 1 for every other module. A step's FLOPs
     * are the weights' sizes times this (active parameters), its memory the sizes alone (total).
     */
    public static double activeShare(ModelTensor t, ModelConfig c) {
        return t.role().perExpert() ? (double) c.moe().topK() / c.moe().numExperts() : 1.0;
    }

    /** The tensors a checkpoint of this config holds (lm_head only when untied). */
    public List<ModelTensor> checkpointTensors(ModelConfig c) {
        return tensors(c, !c.tieWordEmbeddings());
    }

    private static void add(List<ModelTensor> out, ModuleSpec m, ModelConfig c, int layer, String path, String gguf) {
        if (!m.present().test(c)) return;
        int rows = m.out().applyAsInt(c);
        switch (m.kind()) {
            case NORM -> {
                out.add(new ModelTensor(path + ".weight", path, gguf + ".weight", m, layer, 1, rows, true, false));
                if (m.hasBias().test(c)) out.add(new ModelTensor(path + ".bias", path, gguf + ".bias", m, layer, 1, rows, true, true));
            }
            case EMBEDDING, LINEAR -> {
                out.add(new ModelTensor(path + ".weight", path, gguf + ".weight", m, layer, rows, m.in().applyAsInt(c), false, false));
                if (m.kind() == ModuleSpec.Kind.LINEAR && m.hasBias().test(c)) {
                    out.add(new ModelTensor(path + ".bias", path, gguf + ".bias", m, layer, 1, rows, true, true));
                }
            }
        }
    }

    /** The layer module of a role, or null when the family has none. */
    public ModuleSpec layerModule(ModuleRole role) {
        for (ModuleSpec m : layer) if (m.role() == role) return m;
        return null;
    }

    /**
     * The layer module of a role that a model of this config has, or null: a family may declare
     * several for one role, each present under its own config (Falcon's input_layernorm or ln_attn).
     */
    public ModuleSpec layerModule(ModuleRole role, ModelConfig c) {
        for (ModuleSpec m : layer) if (m.role() == role && m.present().test(c)) return m;
        return null;
    }

    /** Whether a model of this config has a layer module of this role. */
    public boolean has(ModuleRole role, ModelConfig c) {
        return layerModule(role, c) != null;
    }

    /**
     * The short names of the layers' linear modules ("q_proj", ...): what lora_target may name. A name
     * two modules share (GPT-2's attn.c_proj and mlp.c_proj) is listed once and targets both, as in PEFT.
     */
    public List<String> linearModuleNames() {
        List<String> names = new ArrayList<>();
        for (ModuleSpec m : layer) if (m.kind() == ModuleSpec.Kind.LINEAR && !names.contains(m.shortName())) names.add(m.shortName());
        return names;
    }

    /** Rejects a config this family's engine cannot run exactly as transformers would. */
    public void validate(ModelConfig c) {
        if (!modelType.equals(c.modelType())) {
            throw new JtuneException("model_type '" + c.modelType() + "' does not match the " + modelType + " family");
        }
        if (c.hiddenAct() != null && !activation.accepts(c.hiddenAct())) {
            throw new JtuneException(hfKeys.activationKey() + " '" + c.hiddenAct() + "' is not supported for " + modelType
                    + "; supported: " + activation.hfName());
        }
        if (c.numAttentionHeads() < 1 || c.numKeyValueHeads() < 1 || c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
            throw new JtuneException("num_attention_heads (" + c.numAttentionHeads()
                    + ") must be a positive multiple of num_key_value_heads (" + c.numKeyValueHeads() + ")");
        }
        boolean rotates = positions == PositionEncoding.ROTARY || positions == PositionEncoding.ROTARY_INTERLEAVED;
        if (rotates && (c.headDim() < 2 || c.headDim() % 2 != 0)) {
            throw new JtuneException("head_dim must be even for rotary positions, was " + c.headDim());
        }
        if (rotates && (c.rotaryDim() < 2 || c.rotaryDim() % 2 != 0)) {
            throw new JtuneException("the rotated share of each head (head_dim " + c.headDim() + " x partial_rotary_factor "
                    + c.partialRotaryFactor() + ") must be even and at least 2, was " + c.rotaryDim());
        }
        if (c.slidingLayers() != null && c.slidingLayers().size() != c.numHiddenLayers()) {
            throw new JtuneException("the sliding-window layer list has " + c.slidingLayers().size() + " entries for "
                    + c.numHiddenLayers() + " layers");
        }
        if (c.attnLogitSoftcap() < 0 || c.finalLogitSoftcap() < 0 || c.queryPreAttnScalar() < 0) {
            throw new JtuneException("soft-caps and query_pre_attn_scalar must be positive (0: unset)");
        }
        if (layerModule(ModuleRole.ROUTER) != null) {
            MoeConfig moe = c.moe();
            if (moe == null) throw new JtuneException("a " + modelType + " config needs its Mixture-of-Experts settings");
            if (moe.numExperts() < 1 || moe.topK() < 1 || moe.topK() > moe.numExperts()) {
                throw new JtuneException("num_experts_per_tok (" + moe.topK() + ") must be between 1 and the number of experts ("
                        + moe.numExperts() + ")");
            }
            if (moe.expertIntermediateSize() < 1 || moe.decoderSparseStep() < 1) {
                throw new JtuneException("the experts' intermediate size and decoder_sparse_step must be positive");
            }
        }
        if (c.hiddenSize() < 1 || c.intermediateSize() < 1 || c.vocabSize() < 1 || c.numHiddenLayers() < 1) {
            throw new JtuneException("hidden_size, intermediate_size, vocab_size and num_hidden_layers must be positive");
        }
    }
}
