package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.model.arch.ModelTensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * A LoRA adapter over a base model, as PEFT defines one: low-rank factors A [r x in] and B [out x r]
 * for the linear modules lora_target names, with their scale and dropout, plus full trained copies of
 * the modules additional_target names (PEFT's modules_to_save). With use_dora each adapted module
 * also has a trained magnitude ({@link DoraFactors}); with pissa_init A and B start from the weight's
 * top singular triplets and the adapter's view holds the residual weight in the base's place
 * ({@link PissaInit}). Its weights live in a
 * {@link ParameterSet} of its own, separate from the base: several adapters can sit over one base
 * model, which is loaded and checked once, and each forward pass or decode session picks one or none.
 * Training updates the adapter it was given.
 */
public final class LoraAdapter {
    private final String name;
    private final FinetuneSpec.Lora config;
    private final CausalLM base;
    private final ParameterSet parameters;
    private final ModelWeights weights;

    private LoraAdapter(String name, FinetuneSpec.Lora config, CausalLM base, ParameterSet parameters, ModelWeights weights) {
        this.name = name;
        this.config = config;
        this.base = base;
        this.parameters = parameters;
        this.weights = weights;
    }

    /**
     * A new adapter over {@code base}, initialised as PEFT does: A Kaiming-uniform with a = √5, i.e.
     * U(±1/√in), B zero (the adapter starts as a no-op), or both from PiSSA; DoRA's magnitude the row
     * norms of W₀ + s·B·A; trained copies equal to the base. Load
     * trained values into {@link #parameters()} afterwards. The base must have nothing of its own
     * training (LoRA trains the adapter only).
     *
     * @param seed seeds A's initialisation (with each tensor's name)
     */
    public static LoraAdapter attach(CausalLM base, String name, FinetuneSpec.Lora lora, long seed) {
        return attach(base, name, lora, seed, false);
    }

    /** As {@link #attach(CausalLM, String, FinetuneSpec.Lora, long)}, with a {@link ValueHead} in the adapter's set when asked (stage rm). */
    static LoraAdapter attach(CausalLM base, String name, FinetuneSpec.Lora lora, long seed, boolean valueHead) {
        List<ModelTensor> tensors = base.family().tensors(base.config(), true);
        TrainableSelection selection = ModelBuilder.select(base.family(), base.config(), tensors, FinetuneSpec.lora(lora));
        ParameterSet set = new ParameterSet();
        Map<Param, Param> replacements = new IdentityHashMap<>();
        Map<String, ModuleAdapter> parts = new LinkedHashMap<>();
        List<Runnable> afterAllocation = new ArrayList<>();
        // Registration follows the module order, so the flat layout (and the saved file) matches PEFT's named_parameters.
        for (int i = 0; i < tensors.size(); i++) {
            ModelTensor t = tensors.get(i);
            if (selection.trains(t.name())) {
                Param original = base.baseParam(t.name());
                Param copy = set.register(selection.savedName(t.name()), t.rows(), t.cols());
                afterAllocation.add(() -> ParameterSet.copyFrom(original.matrix, copy));
                replacements.put(original, copy);
            }
            boolean lastOfModule = i + 1 == tensors.size() || !tensors.get(i + 1).module().equals(t.module());
            if (lastOfModule && selection.hasLora(t.module())) {
                String prefix = "base_model.model." + t.module();
                Param weight = base.baseParam(t.module() + ".weight");
                Param a = set.register(prefix + ".lora_A.weight", lora.rank(), weight.cols);
                Param b = set.register(prefix + ".lora_B.weight", weight.rows, lora.rank());
                // PiSSA puts the residual in the weight's place, in this adapter's view only: the base stays as loaded.
                Param frozen = lora.pissa() == null ? weight : pissaInit(base, t.module(), weight, a, b, lora, afterAllocation);
                if (frozen != weight) replacements.put(weight, frozen);
                if (lora.pissa() == null) afterAllocation.add(() -> initA(a, seed));
                parts.put(t.module(), lora.useDora()
                        ? dora(base, set, prefix, a, b, frozen, base.baseParam(t.module() + ".bias"), lora, afterAllocation)
                        : new LoraFactors(a, b, lora.scale(), (float) lora.dropout()));
            }
        }
        ValueHead head = valueHead ? ValueHead.register(set, base.config().hiddenSize()) : null;
        set.allocate();
        afterAllocation.forEach(Runnable::run);
        if (head != null) {
            head.initialise(seed);
            base.setValueHead(head);
        }
        return new LoraAdapter(name, lora, base, set, base.baseWeights().with(replacements, parts));
    }

    /**
     * PiSSA for one module: the SVD runs now (it needs no adapter storage), A and B are filled after
     * allocation, and the residual becomes a frozen weight of this adapter's view. The fast SVD's random
     * start depends only on the module's name, so that loading a PiSSA adapter re-derives exactly the
     * residual it was trained over, whatever seed the run had.
     */
    private static Param pissaInit(CausalLM base, String module, Param weight, Param a, Param b, FinetuneSpec.Lora lora,
                                   List<Runnable> afterAllocation) {
        if (weight.trainable()) throw new JtuneException("pissa_init: " + module + " is trained fully; PiSSA needs a frozen weight");
        PissaInit.Result init = PissaInit.of(module, weight.matrix, lora.rank(), lora.scale(), lora.pissa(),
                base.config().dtype(), PISSA_SEED);
        afterAllocation.add(() -> {
            System.arraycopy(init.a(), 0, a.data, a.offset, a.size());
            System.arraycopy(init.b(), 0, b.data, b.offset, b.size());
        });
        return Param.frozenMatrix(weight.name, init.residual());
    }

    /**
     * DoRA for one module: its magnitude, registered after A and B (PEFT's order) and set, once A and
     * B are initialised, to ‖W₀ + s·B·A‖ per row, as PEFT's dora_init does.
     */
    private static DoraFactors dora(CausalLM base, ParameterSet set, String prefix, Param a, Param b, Param frozen, Param bias,
                                    FinetuneSpec.Lora lora, List<Runnable> afterAllocation) {
        Param magnitude = set.register(prefix + ".lora_magnitude_vector", 1, frozen.rows);
        DoraFactors dora = new DoraFactors(a, b, magnitude, lora.scale(), (float) lora.dropout(), frozen.matrix, bias);
        afterAllocation.add(() -> dora.initialiseMagnitude(base.kernels()));
        return dora;
    }

    /** Seeds PiSSA's fast SVD (with each module's name). */
    static final long PISSA_SEED = 0x5EED_5155AL;

    /** kaiming_uniform_(a=√5) on [r x in]: bound = √(6 / ((1 + 5)·in)) = 1/√in. */
    private static void initA(Param a, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + a.name.hashCode());
        double bound = 1.0 / Math.sqrt(a.cols);
        for (int i = 0; i < a.size(); i++) a.data[a.offset + i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
    }

    public String name() { return name; }

    /** Rank, alpha, dropout, targets and modules_to_save, as adapter_config.json gives them. */
    public FinetuneSpec.Lora config() { return config; }

    /** The model this adapter sits over. */
    public CausalLM base() { return base; }

    /** The adapter's tensors (PEFT's names) in one flat fp32 set: what an optimizer updates and a file stores. */
    public ParameterSet parameters() { return parameters; }

    /** PEFT's target_modules: the short names of the modules that carry LoRA factors, sorted. */
    public List<String> targetModules() {
        TreeSet<String> modules = new TreeSet<>();
        for (DecoderLayer layer : weights.layers) {
            for (LinearModule m : layer.modules) if (m.adapter != null) modules.add(m.path.substring(m.path.lastIndexOf('.') + 1));
        }
        return List.copyOf(modules);
    }

    /**
     * The Hugging Face names of the base tensors this adapter changes: the weight of every module with
     * LoRA factors (W + scale·B·A once merged) and every module it trains fully (modules_to_save).
     */
    public java.util.Set<String> changedTensors() {
        java.util.Set<String> changed = new java.util.TreeSet<>();
        String prefix = "base_model.model.";
        for (TrainableParameter p : parameters.describe()) {
            String n = p.name().startsWith(prefix) ? p.name().substring(prefix.length()) : p.name();
            int lora = n.indexOf(".lora_A.");
            if (lora > 0) changed.add(n.substring(0, lora) + ".weight");
            else if (!n.contains(".lora_B.")) changed.add(n);
        }
        return changed;
    }

    ModelWeights weights() { return weights; }
}
