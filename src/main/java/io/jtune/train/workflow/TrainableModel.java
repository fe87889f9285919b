package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.FinetuningArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.config.TrainingArguments;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.QuantizedWeights;
import io.jtune.model.WeightQuantization;
import io.jtune.model.WeightSource;
import io.jtune.tensor.Bnb4BitType;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The model as the fine-tuning type trains it (a LoRA adapter over the frozen base, the last layers
 * under freeze, everything under full), with gradient checkpointing as configured and an adapter
 * from adapter_name_or_path loaded into it; and the writer of what it trained.
 */
record TrainableModel(CausalLM model, TrainedWeights weights) {

    /** Checks that it fits in memory, builds it and loads the given adapter. */
    static TrainableModel build(JtuneConfig config, BaseModel base, PrintStream log) {
        ModelArguments modelArgs = config.model();
        FinetuningArguments ft = config.finetuning();
        TrainingArguments args = config.training();
        LoraAdapterConfig adapter = adapterConfig(modelArgs, ft);
        FinetuneSpec spec = finetuneSpec(ft, adapter);
        // the reward model's head (rm), the policy's value head (ppo): trains beside the type's parameters
        if ("rm".equals(ft.stage()) || "ppo".equals(ft.stage())) spec = spec.withValueHead();
        boolean checkpointing = args.gradientCheckpointing() || !modelArgs.disableGradientCheckpointing();
        WeightQuantization quantization = quantization(modelArgs, ft, base, log);
        MemoryEstimate.check(base.config(), spec, args, config.data().cutoffLen(), checkpointing,
                base.prequantized() ? WeightQuantization.fourBit(Bnb4BitType.NF4, true) : quantization);
        WeightSource source = QuantizedWeights.over(base.weights(), base.config(), quantization);
        CausalLM model = ModelBuilder.build(base.config(), source, spec, new CausalLM.Options(checkpointing, args.seed()));
        if (modelArgs.moeAuxLossCoef() != null) model.setRouterAuxLossCoef(modelArgs.moeAuxLossCoef());
        // PEFT's adapter_config.json names the modules that actually carry an adapter, whatever lora_target said
        TrainedWeights weights = base.trainedWeights(model, adapter == null ? null
                : adapter.withTargets(TrainedWeights.loraTargetModules(model), modelArgs.modelNameOrPath()));
        if (!modelArgs.adapterNameOrPath().isEmpty()) {
            Path adapterDir = Path.of(modelArgs.adapterNameOrPath().get(0));
            weights.load(adapterDir);
            log.println("Loaded adapter " + adapterDir);
        } else if (weights.restoreValueHead(base.dir())) {
            log.println("Loaded value head " + base.dir().resolve(TrainedWeights.VALUE_HEAD_FILE));
        }
        log.printf("Trainable parameters: %,d (%s)%n", model.trainableParameterCount(), method(spec));
        return new TrainableModel(model, weights);
    }

    /** The fine-tuning method as the log names it: "lora", "lora: DoRA, PiSSA (fast SVD, 16 iterations)", "full", ... */
    private static String method(FinetuneSpec spec) {
        if (spec.type() != FinetuneSpec.Type.LORA) return spec.type().name().toLowerCase(java.util.Locale.ROOT);
        java.util.List<String> variants = new java.util.ArrayList<>();
        if (spec.lora().useDora()) variants.add("DoRA");
        if (spec.lora().pissa() != null) {
            variants.add(spec.lora().pissa().exact() ? "PiSSA (exact SVD)"
                    : "PiSSA (fast SVD, " + spec.lora().pissa().iterations() + " iterations)");
        }
        return variants.isEmpty() ? "lora" : "lora: " + String.join(", ", variants);
    }

    /** quantization_bit as the engine's storage of the base (null: none); a pre-quantized checkpoint stays as stored. */
    static WeightQuantization quantization(ModelArguments m, FinetuningArguments ft, BaseModel base, PrintStream log) {
        WeightQuantization q = WeightQuantization.of(m.quantizationBit(), m.quantizationType(), m.doubleQuantization());
        if (base.gguf() != null) {
            Path file = base.gguf().path();
            if (!ft.isLora()) {
                throw new JtuneException(file + " is a GGUF model: its weights train with finetuning_type lora only (they stay frozen"
                        + " in their stored type, as QLoRA's do); it is " + ft.finetuningType());
            }
            if (q != null) {
                throw new JtuneException("quantization_bit: " + file + " is a GGUF model, already stored in its own type;"
                        + " leave quantization_bit unset");
            }
            log.println("Training LoRA over the GGUF weights as stored");
            return null;
        }
        if (base.prequantized()) {
            if (!ft.isLora()) {
                // LLaMA-Factory: "Quantized models can only be used for the LoRA tuning."
                throw new JtuneException(base.files().directory() + " is quantized by bitsandbytes (4-bit); a quantized model"
                        + " can only be trained with finetuning_type lora (it is " + ft.finetuningType() + ")");
            }
            if (q != null) log.println("warning: quantization_bit does not apply to " + base.files().directory()
                    + ", which is already quantized by bitsandbytes (4-bit); its weights are used as stored");
            log.println("Loading the bitsandbytes 4-bit checkpoint's weights as stored");
            return null;
        }
        if (q != null) log.println("Quantizing the decoder layers' linear weights to " + q.describe() + " while loading");
        return q;
    }

    /** The LoRA adapter to train: the one given in adapter_name_or_path, else a new one from the lora keys; null unless LoRA. */
    private static LoraAdapterConfig adapterConfig(ModelArguments m, FinetuningArguments ft) {
        if (m.adapterNameOrPath().size() > 1) {
            throw new JtuneException("adapter_name_or_path: several adapters (" + m.adapterNameOrPath() + ") are not supported yet; give one");
        }
        if (!m.adapterNameOrPath().isEmpty()) {
            if (!ft.isLora()) throw new JtuneException("adapter_name_or_path needs finetuning_type: lora (it is " + ft.finetuningType() + ")");
            return LoraAdapterConfig.read(Path.of(m.adapterNameOrPath().get(0)));
        }
        if (!ft.isLora()) return null;
        FinetuneSpec.Pissa pissa = ft.pissaInit() ? new FinetuneSpec.Pissa(ft.pissaIter()) : null;
        return new LoraAdapterConfig(ft.loraRank(), ft.loraAlpha(), ft.loraDropout(), ft.loraTarget(), ft.useRslora(),
                ft.additionalTarget(), null).withMethod(ft.useDora(), pissa == null ? "true" : pissa.initLoraWeights());
    }

    /**
     * The engine's fine-tuning spec; a loaded adapter brings its own rank, alpha, targets, DoRA and
     * PiSSA settings, as PEFT does (a PiSSA adapter re-derives its residual base when loaded).
     */
    private static FinetuneSpec finetuneSpec(FinetuningArguments ft, LoraAdapterConfig adapter) {
        return switch (ft.finetuningType()) {
            case "lora" -> FinetuneSpec.lora(new FinetuneSpec.Lora(adapter.r(), adapter.loraAlpha(), adapter.loraDropout(),
                    adapter.targetModules(), adapter.useRslora(), adapter.modulesToSave(), adapter.useDora(),
                    FinetuneSpec.Pissa.fromInitLoraWeights(adapter.initLoraWeights())));
            case "freeze" -> FinetuneSpec.freeze(new FinetuneSpec.Freeze(ft.freezeTrainableLayers(),
                    ft.freezeTrainableModules(), ft.freezeExtraModules()));
            case "full" -> FinetuneSpec.full();
            default -> throw new JtuneException("finetuning_type: '" + ft.finetuningType() + "' is not one of lora, freeze, full");
        };
    }
}
