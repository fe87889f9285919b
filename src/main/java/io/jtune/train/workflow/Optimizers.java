package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.FinetuningArguments;
import io.jtune.config.TrainingArguments;
import io.jtune.model.CausalLM;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.Optimizer;
import io.jtune.train.optim.ParamGroup;
import io.jtune.train.optim.Sgd;
import java.util.List;

/**
 * The optimizer the optim key names, over the model's trainable parameters with HF's weight-decay
 * groups, or LLaMA-Factory's LoRA+ groups when loraplus_lr_ratio is set.
 */
final class Optimizers {
    private Optimizers() {}

    static Optimizer create(TrainingArguments args, FinetuningArguments ft, CausalLM model) {
        List<ParamGroup> groups = ft != null && ft.loraplusLrRatio() != null
                ? ParamGroup.loraPlus(model.trainableParameters(), args.weightDecay(), args.learningRate(),
                        ft.loraplusLrRatio(), ft.loraplusLrEmbedding())
                : ParamGroup.hfDefault(model.trainableParameters(), args.weightDecay());
        return switch (args.optim()) {
            // jtune has one AdamW; the names LLaMA-Factory configs use for it all select it
            case "adamw_torch", "adamw_torch_fused", "adamw_hf" -> new AdamW(model.parameterValues(), model.gradients(), groups,
                    args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
            case "sgd" -> new Sgd(model.parameterValues(), model.gradients(), groups, 0.0);
            default -> throw new JtuneException("optim: '" + args.optim() + "' is not supported yet by jtune; supported: adamw_torch, sgd");
        };
    }
}
