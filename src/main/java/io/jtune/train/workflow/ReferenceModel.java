package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.FinetuningArguments;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import io.jtune.model.ModelBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The reference model of dpo and kto, as LLaMA-Factory's create_ref_model picks it: ref_model (with
 * ref_model_adapters) when given, a separate frozen model; otherwise with LoRA the trained model's own
 * base with the adapter off (in training and in evaluation-only runs), and with freeze or full tuning
 * a frozen copy of the starting weights, memory-mapped from the same checkpoint. It gives each row's
 * summed label log-probability, without gradients.
 */
final class ReferenceModel {
    private ReferenceModel() {}

    static Function<Batch, double[]> logProbs(StageModels models) {
        Pass reference = pass(models);
        return batch -> reference.model().forward(batch, reference.adapter(), false, null).sequenceLogProbs();
    }

    /**
     * The reference's log-probability of each label token (ppo's KL term), per flat position of the batch,
     * of its logits divided by {@code temperature} (the sampling temperature, as the policy's).
     */
    static Function<Batch, double[]> tokenLogProbs(StageModels models, float temperature) {
        return tokenLogProbs(pass(models), temperature);
    }

    /**
     * The log-probability of each label token under the starting policy (grpo's KL term; TRL's GRPOTrainer
     * takes the initial model as its reference): ref_model when given; else, when LoRA goes on training an
     * adapter from adapter_name_or_path, that adapter as it was loaded, frozen beside the trained one over
     * the same base; else the same reference as {@link #tokenLogProbs} (a new adapter starts at B = 0, so
     * the base with the adapter off is the starting policy; freeze and full tuning use the starting weights).
     * Without this an SFT adapter trained on by grpo would be pulled back to the bare base, which is not
     * the policy the run started from.
     */
    static Function<Batch, double[]> startingPolicyTokenLogProbs(StageModels models, float temperature) {
        FinetuningArguments ft = models.config().finetuning();
        List<String> adapters = models.config().model().adapterNameOrPath();
        if (ft.refModel() != null || !ft.isLora() || adapters.isEmpty()) return tokenLogProbs(pass(models), temperature);
        CausalLM policy = models.model().model();
        return tokenLogProbs(new Pass(policy, PeftAdapters.load(policy, "reference", Path.of(adapters.getFirst()))), temperature);
    }

    private static Function<Batch, double[]> tokenLogProbs(Pass reference, float temperature) {
        return batch -> reference.model().forward(batch, reference.adapter(), false, null, temperature).tokenLogProbs();
    }

    /** A model and the adapter its reference pass runs with (null: none). */
    private record Pass(CausalLM model, LoraAdapter adapter) {}

    private static Pass pass(StageModels models) {
        FinetuningArguments ft = models.config().finetuning();
        if (ft.refModel() != null) return separate(models, ft);
        CausalLM reference = ft.isLora() ? models.model().model()
                : ModelBuilder.frozen(models.base().config(), models.base().weights());
        return new Pass(reference, null);
    }

    /** ref_model, opened for the run's length, with its adapter when ref_model_adapters names one. */
    private static Pass separate(StageModels models, FinetuningArguments ft) {
        Path dir = ModelLocator.fromEnvironment().locate(ft.refModel(), null, HubClient.DownloadProgress.SILENT);
        HfModelDirectory files = models.closeWithRun(HfModelDirectory.open(dir));
        int vocab = files.config().vocabSize();
        int policyVocab = models.base().config().vocabSize();
        if (vocab != policyVocab) {
            throw new JtuneException("ref_model: " + dir + " has a vocabulary of " + vocab + " tokens, the model being trained "
                    + policyVocab + "; the reference scores the same token ids, so it needs the same tokenizer");
        }
        CausalLM reference = ModelBuilder.frozen(files.config(), new HfWeightSource(files));
        LoraAdapter adapter = null;
        if (!ft.refModelAdapters().isEmpty()) {
            Path adapterDir = Path.of(ft.refModelAdapters().getFirst());
            adapter = PeftAdapters.load(reference, adapterDir.getFileName() == null ? "reference" : adapterDir.getFileName().toString(),
                    adapterDir);
        }
        return new Pass(reference, adapter);
    }
}
