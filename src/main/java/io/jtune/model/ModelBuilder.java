package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleSpec;
import io.jtune.model.arch.ModuleRole;
import io.jtune.nn.Kernels;
import io.jtune.nn.ParallelTasks;
import io.jtune.tensor.Matrix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link CausalLM} from a family's declaration, a config, a weight source and a fine-tuning
 * spec: checks every tensor against the shapes the config implies (and for NaN/Inf), decides what
 * trains, keeps frozen weights in the checkpoint's dtype and copies trainable ones into one fp32
 * {@link ParameterSet}. With LoRA the base is frozen and a {@link LoraAdapter} is attached over it.
 */
public final class ModelBuilder {
    private final ModelFamily family;
    private final ModelConfig config;
    private final WeightSource weights;
    private final CausalLM.Options options;
    private final ParameterSet store = new ParameterSet();
    private final List<Runnable> afterAllocation = new ArrayList<>();
    private final Map<String, Param> params = new LinkedHashMap<>();

    private ModelBuilder(ModelFamily family, ModelConfig config, WeightSource weights, CausalLM.Options options) {
        this.family = family;
        this.config = config;
        this.weights = weights;
        this.options = options;
    }

    /** The model of config.json's family (an unsupported model_type is an error). */
    public static CausalLM build(ModelConfig config, WeightSource weights, FinetuneSpec spec, CausalLM.Options options) {
        return build(Families.of(config), config, weights, spec, options);
    }

    /** The model of an explicitly given family, e.g. one declared outside {@link Families}. */
    public static CausalLM build(ModelFamily family, ModelConfig config, WeightSource weights, FinetuneSpec spec,
                                 CausalLM.Options options) {
        family.validate(config);
        boolean lora = spec.type() == FinetuneSpec.Type.LORA;
        // PEFT wraps lm_head separately even when tied, so in LoRA mode it is its own (frozen) module.
        List<ModelTensor> tensors = family.tensors(config, !config.tieWordEmbeddings() || lora);
        TrainableSelection selection = select(family, config, tensors, spec);
        ModelBuilder builder = new ModelBuilder(family, config, weights, options);
        CausalLM model = builder.assemble(tensors, lora ? null : selection, !lora && spec.valueHead());
        if (lora) model.setTrainingAdapter(LoraAdapter.attach(model, "default", spec.lora(), options.seed(), spec.valueHead()));
        return model;
    }

    /** The base model with nothing trainable: every weight frozen in the checkpoint's dtype (generation, serving). */
    public static CausalLM frozen(ModelConfig config, WeightSource weights) {
        ModelFamily family = Families.of(config);
        family.validate(config);
        List<ModelTensor> tensors = family.tensors(config, true);
        return new ModelBuilder(family, config, weights, new CausalLM.Options(false, 0)).assemble(tensors, null, false);
    }

    /** Resolves which tensors train and which modules get LoRA, with LLaMA-Factory's semantics. */
    static TrainableSelection select(ModelFamily family, ModelConfig config, List<ModelTensor> tensors, FinetuneSpec spec) {
        List<String> paramNames = new ArrayList<>(), modules = new ArrayList<>();
        boolean sharedHead = config.tieWordEmbeddings() && spec.type() != FinetuneSpec.Type.LORA;
        for (ModelTensor t : tensors) {
            if (sharedHead && t.role() == ModuleRole.LM_HEAD) continue;
            paramNames.add(t.name());
            if (!modules.contains(t.module())) modules.add(t.module());
        }
        return TrainableSelection.resolve(spec, config.numHiddenLayers(), paramNames, modules, family.linearModuleNames());
    }

    /** Loads every tensor (trainable ones into the store when {@code selection} is given) and wires the model. */
    private CausalLM assemble(List<ModelTensor> tensors, TrainableSelection selection, boolean valueHead) {
        checkNoExtraTensors(tensors);
        boolean hasLmHead = false;
        for (ModelTensor t : tensors) {
            hasLmHead |= t.role() == ModuleRole.LM_HEAD;
            params.put(t.name(), param(t, selection != null && selection.trains(t.name())));
        }
        Param embed = one(ModuleRole.EMBEDDING, -1, false);
        DecoderLayer[] layers = new DecoderLayer[config.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) layers[l] = layer(l);
        Param finalNorm = one(ModuleRole.FINAL_NORM, -1, false);
        Param lmHead = hasLmHead ? one(ModuleRole.LM_HEAD, -1, false) : embed;
        Param positions = one(ModuleRole.POSITION_EMBEDDING, -1, false), finalNormBias = one(ModuleRole.FINAL_NORM, -1, true);
        Param embedNorm = one(ModuleRole.EMBEDDING_NORM, -1, false), embedNormBias = one(ModuleRole.EMBEDDING_NORM, -1, true);
        ValueHead head = valueHead ? ValueHead.register(store, config.hiddenSize()) : null;
        store.allocate();
        afterAllocation.forEach(Runnable::run);
        if (head != null) head.initialise(options.seed());
        CausalLM model = new CausalLM(config, family, Kernels.CPU, options, new ModelWeights(embed, positions, embedNorm, embedNormBias, finalNorm, finalNormBias, lmHead, layers),
                params, store);
        model.setValueHead(head);
        return model;
    }

    private Param one(ModuleRole role, int layer, boolean bias) {
        for (ModelTensor t : family.tensors(config, true)) {
            if (t.role() == role && t.layer() == layer && t.bias() == bias) return params.get(t.name());
        }
        return null;
    }

    private DecoderLayer layer(int l) {
        // Every linear module of this layer, in its registration order (PEFT's order), at its
        // DecoderLayer slot; a fused family (Phi-3) has qkv_proj for q/k/v and gate_up_proj for gate/up.
        // A MoE layer's router, experts and shared expert have no slot: its SparseMoeBlock runs them.
        List<ModuleRole> slots = List.of(ModuleRole.Q_PROJ, ModuleRole.K_PROJ, ModuleRole.V_PROJ, ModuleRole.O_PROJ,
                ModuleRole.GATE_PROJ, ModuleRole.UP_PROJ, ModuleRole.DOWN_PROJ, ModuleRole.QKV_PROJ, ModuleRole.GATE_UP_PROJ);
        // a grouped q/k/v projection (BLOOM, Falcon) takes the fused slot; the layer splits it by its own layout
        List<LinearModule> modules = new ArrayList<>();
        Map<ModuleRole, List<LinearModule>> byRole = new java.util.EnumMap<>(ModuleRole.class);
        String prefix = family.layerPrefix(l);
        for (ModelTensor t : family.layerTensors(config, l)) {
            if (t.spec().kind() != ModuleSpec.Kind.LINEAR || t.bias()) continue;
            ModuleRole slotRole = t.role() == ModuleRole.QKV_PROJ_GROUPED ? ModuleRole.QKV_PROJ : t.role();
            LinearModule m = new LinearModule(t.module(), slots.indexOf(slotRole), params.get(t.name()),
                    params.get(t.module() + ".bias"), null);
            modules.add(m);
            byRole.computeIfAbsent(t.role(), r -> new ArrayList<>()).add(m);
        }
        boolean sparse = config.moe() != null && config.moe().sparse(l);
        boolean attentionInputs = byRole.containsKey(ModuleRole.QKV_PROJ) || byRole.containsKey(ModuleRole.QKV_PROJ_GROUPED)
                || (byRole.containsKey(ModuleRole.Q_PROJ) && byRole.containsKey(ModuleRole.K_PROJ) && byRole.containsKey(ModuleRole.V_PROJ));
        boolean mlp = sparse || (byRole.containsKey(ModuleRole.DOWN_PROJ)
                && (byRole.containsKey(ModuleRole.GATE_UP_PROJ) || byRole.containsKey(ModuleRole.UP_PROJ)));
        if (!attentionInputs || !mlp || !byRole.containsKey(ModuleRole.O_PROJ)) {
            throw new JtuneException("the " + family.modelType() + " family lacks a module of the decoder layer "
                    + "(q/k/v or qkv, o, gate/up, gate_up or up alone, down)");
        }
        return new DecoderLayer(l, layerParam(ModuleRole.ATTENTION_NORM, prefix), layerBias(ModuleRole.ATTENTION_NORM, prefix),
                layerParam(ModuleRole.MLP_NORM, prefix), layerBias(ModuleRole.MLP_NORM, prefix),
                layerParam(ModuleRole.Q_NORM, prefix), layerParam(ModuleRole.K_NORM, prefix),
                layerParam(ModuleRole.ATTENTION_OUTPUT_NORM, prefix), layerParam(ModuleRole.MLP_OUTPUT_NORM, prefix),
                modules.toArray(LinearModule[]::new), sparse ? moeBlock(l, byRole) : null);
    }

    /** The layer's sparse MoE block over its router, its experts (in index order) and its shared expert. */
    private SparseMoeBlock moeBlock(int l, Map<ModuleRole, List<LinearModule>> byRole) {
        int experts = config.moe().numExperts();
        LinearModule[][] expertModules = new LinearModule[experts][];
        for (int e = 0; e < experts; e++) {
            expertModules[e] = new LinearModule[] {byRole.get(ModuleRole.EXPERT_GATE).get(e), byRole.get(ModuleRole.EXPERT_UP).get(e),
                    byRole.get(ModuleRole.EXPERT_DOWN).get(e)};
        }
        LinearModule[] shared = byRole.containsKey(ModuleRole.SHARED_EXPERT_ROUTER)
                ? new LinearModule[] {byRole.get(ModuleRole.SHARED_EXPERT_GATE).get(0), byRole.get(ModuleRole.SHARED_EXPERT_UP).get(0),
                        byRole.get(ModuleRole.SHARED_EXPERT_DOWN).get(0), byRole.get(ModuleRole.SHARED_EXPERT_ROUTER).get(0)}
                : null;
        return new SparseMoeBlock(l, config.moe(), byRole.get(ModuleRole.ROUTER).get(0), expertModules, shared);
    }

    private Param layerParam(ModuleRole role, String prefix) {
        ModuleSpec spec = family.layerModule(role, config);
        return spec == null ? null : params.get(prefix + spec.hfPath() + ".weight");
    }

    /** A layer norm's bias (LayerNorm families), or null. */
    private Param layerBias(ModuleRole role, String prefix) {
        ModuleSpec spec = family.layerModule(role, config);
        return spec == null ? null : params.get(prefix + spec.hfPath() + ".bias");
    }

    private void checkNoExtraTensors(List<ModelTensor> tensors) {
        Set<String> known = new HashSet<>();
        for (ModelTensor t : tensors) known.add(t.name());
        List<String> extra = new ArrayList<>();
        for (String name : weights.names()) {
            // saved RoPE buffers: transformers' rotary_emb.inv_freq, ChatGLM's transformer.rotary_pos_emb.inv_freq;
            // GPT-2's causal-mask buffers
            boolean ignorable = name.endsWith("rotary_emb.inv_freq") || name.endsWith("rotary_pos_emb.inv_freq")
                    || family.hfNames().isIgnoredBuffer(name)
                    || (name.equals("lm_head.weight") && config.tieWordEmbeddings());
            if (!known.contains(name) && !ignorable) extra.add(name);
        }
        if (!extra.isEmpty()) {
            throw new JtuneException(weights.describe() + " has tensor(s) a " + config.modelType()
                    + " model with this config does not use: " + String.join(", ", extra.subList(0, Math.min(5, extra.size())))
                    + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : ""));
        }
    }

    /** The checkpoint tensor for t, checked for presence, shape and finiteness. */
    private Matrix source(ModelTensor t) {
        // A tied lm_head reads the embedding (only reached when lm_head is its own module).
        String name = t.role() == ModuleRole.LM_HEAD && config.tieWordEmbeddings() ? family.embeddingWeightName() : t.name();
        Matrix m = weights.tensor(name);
        if (m == null) {
            throw new JtuneException(weights.describe() + " is missing tensor " + name + " (expected shape " + shape(t) + ")");
        }
        boolean fits = t.vector()
                ? (long) m.rows() * m.cols() == t.cols() && (m.rows() == 1 || m.cols() == 1)
                : m.rows() == t.rows() && m.cols() == t.cols();
        if (!fits) {
            throw new JtuneException("tensor " + name + " in " + weights.describe() + " has shape [" + m.rows() + " x "
                    + m.cols() + "] but config.json implies " + shape(t));
        }
        requireFinite(name, m);
        return m;
    }

    private static String shape(ModelTensor t) {
        return t.vector() ? "[" + t.cols() + "]" : "[" + t.rows() + " x " + t.cols() + "]";
    }

    private final Map<String, Matrix> checked = new HashMap<>();

    /** Checks a checkpoint matrix once, however many modules read it (a tied lm_head reads the embedding). */
    private void requireFinite(String name, Matrix m) {
        if (checked.put(name, m) != null) return;
        int rows = m.rows(), cols = m.cols();
        int chunks = ParallelTasks.chunks(rows, 64);
        long[] firstBad = new long[chunks];
        ParallelTasks.forEach(chunks, c -> {
            float[] row = new float[cols];
            firstBad[c] = -1;
            for (int r = rows * c / chunks, hi = rows * (c + 1) / chunks; r < hi && firstBad[c] < 0; r++) {
                m.readRow(r, 0, cols, row, 0);
                for (int j = 0; j < cols; j++) {
                    if (!Float.isFinite(row[j])) {
                        firstBad[c] = (long) r * cols + j;
                        break;
                    }
                }
            }
        });
        for (long bad : firstBad) {
            if (bad >= 0) {
                throw new JtuneException("tensor " + name + " in " + weights.describe() + " holds a non-finite value (NaN or Inf) at ["
                        + bad / cols + ", " + bad % cols + "]");
            }
        }
    }

    /** A trainable fp32 copy or a frozen view of the checkpoint tensor. */
    private Param param(ModelTensor t, boolean trains) {
        Matrix src = source(t);
        if (!trains) return t.vector() ? Param.frozenVector(t.name(), src) : Param.frozenMatrix(t.name(), src);
        Param p = store.register(t.name(), t.rows(), t.cols());
        afterAllocation.add(() -> ParameterSet.copyFrom(src, p));
        return p;
    }
}
