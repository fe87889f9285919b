package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.FinetuningArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.config.TrainingArguments;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
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
        if ("rm".equals(ft.stage())) spec = spec.withValueHead();   // the reward model's head trains beside the type's parameters
        boolean checkpointing = args.gradientCheckpointing() || !modelArgs.disableGradientCheckpointing();
        MemoryEstimate.check(base.config(), spec, args, config.data().cutoffLen(), checkpointing);
        CausalLM model = ModelBuilder.build(base.config(), new HfWeightSource(base.files()), spec,
                new CausalLM.Options(checkpointing, args.seed()));
        // PEFT's adapter_config.json names the modules that actually carry an adapter, whatever lora_target said
        TrainedWeights weights = new TrainedWeights(model, base.files(), adapter == null ? null
                : new LoraAdapterConfig(adapter.r(), adapter.loraAlpha(), adapter.loraDropout(),
                TrainedWeights.loraTargetModules(model), adapter.useRslora(), adapter.modulesToSave(), modelArgs.modelNameOrPath()));
        if (!modelArgs.adapterNameOrPath().isEmpty()) {
            Path adapterDir = Path.of(modelArgs.adapterNameOrPath().get(0));
            weights.load(adapterDir);
            log.println("Loaded adapter " + adapterDir);
        } else if (weights.restoreValueHead(base.dir())) {
            log.println("Loaded value head " + base.dir().resolve(TrainedWeights.VALUE_HEAD_FILE));
        }
        log.printf("Trainable parameters: %,d (%s)%n", model.trainableParameterCount(), ft.finetuningType());
        return new TrainableModel(model, weights);
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
        return new LoraAdapterConfig(ft.loraRank(), ft.loraAlpha(), ft.loraDropout(), ft.loraTarget(), ft.useRslora(),
                ft.additionalTarget(), null);
    }

    /** The engine's fine-tuning spec; a loaded adapter brings its own rank, alpha and targets, as PEFT does. */
    private static FinetuneSpec finetuneSpec(FinetuningArguments ft, LoraAdapterConfig adapter) {
        return switch (ft.finetuningType()) {
            case "lora" -> FinetuneSpec.lora(new FinetuneSpec.Lora(adapter.r(), adapter.loraAlpha(), adapter.loraDropout(),
                    adapter.targetModules(), adapter.useRslora(), adapter.modulesToSave()));
            case "freeze" -> FinetuneSpec.freeze(new FinetuneSpec.Freeze(ft.freezeTrainableLayers(),
                    ft.freezeTrainableModules(), ft.freezeExtraModules()));
            case "full" -> FinetuneSpec.full();
            default -> throw new JtuneException("finetuning_type: '" + ft.finetuningType() + "' is not one of lora, freeze, full");
        };
    }
}
