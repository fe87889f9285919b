package io.jtune.train.workflow;

import io.jtune.io.hf.HfWeightSource;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.ModelBuilder;
import java.util.function.Function;

/**
 * The reference model of dpo and kto, as LLaMA-Factory's create_ref_model picks it without ref_model:
 * with LoRA the trained model's own base with the adapter off (in training and in evaluation-only
 * runs); with freeze or full tuning a frozen copy of the starting weights, memory-mapped from the same
 * checkpoint. It gives each row's summed label log-probability, without gradients.
 */
final class ReferenceModel {
    private ReferenceModel() {}

    static Function<Batch, double[]> logProbs(StageModels models) {
        CausalLM reference = models.config().finetuning().isLora() ? models.model().model()
                : ModelBuilder.frozen(models.base().config(), new HfWeightSource(models.base().files()));
        return batch -> reference.forward(batch, null, false, null).sequenceLogProbs();
    }
}
