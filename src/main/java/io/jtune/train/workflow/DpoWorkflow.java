package io.jtune.train.workflow;

import io.jtune.config.FinetuningArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.PreferenceObjective;
import java.util.List;
import java.util.function.Function;

/**
 * Stage dpo (LLaMA-Factory's run_dpo): preference pairs, a {@link PreferenceObjective} of the
 * pref_loss chosen, and a reference model for the losses that compare with one: with LoRA the same
 * base with the adapter off (in training and in evaluation-only runs), with freeze or full tuning a
 * frozen copy of the starting weights. Its reference log-probabilities are computed batch by batch.
 */
final class DpoWorkflow implements StageWorkflow {
    @Override
    public String stage() {
        return "dpo";
    }

    @Override
    public String dataStage() {
        return "dpo";
    }

    @Override
    public DatasetBatches.Layout batchLayout() {
        return DatasetBatches.Layout.PAIRS;
    }

    @Override
    public void checkConfig(JtuneConfig config) {
        PreferenceObjective.LossType.of(config.finetuning().preference().loss());
    }

    @Override
    public Objective objective(StageModels models) {
        FinetuningArguments ft = models.config().finetuning();
        FinetuningArguments.Preference p = ft.preference();
        PreferenceObjective.Settings settings = new PreferenceObjective.Settings(PreferenceObjective.LossType.of(p.loss()),
                p.beta(), p.labelSmoothing(), p.ftx(), p.simpoGamma(), p.ldAlpha());
        CausalLM policy = models.model().model();
        Function<Batch, double[]> reference = settings.loss().usesReference() ? ReferenceModel.logProbs(models) : null;
        // with LoRA the LM head stays frozen unless additional_target trains it: its row mean is then computed once
        boolean headTrains = !ft.isLora() || policy.trainableParameters().stream().anyMatch(t -> t.name().contains("lm_head"));
        double[][] fixedHead = headTrains ? null : new double[1][];
        return new PreferenceObjective(settings, new PreferenceObjective.Passes() {
            @Override
            public double[] referenceLogProbs(Batch batch) {
                return reference.apply(batch);
            }

            @Override
            public double[] lmHeadRowMean() {
                if (fixedHead == null) return policy.lmHeadRowMean(policy.adapter());
                if (fixedHead[0] == null) fixedHead[0] = policy.lmHeadRowMean(policy.adapter());
                return fixedHead[0];
            }
        });
    }

    /** As LLaMA-Factory's run_dpo plots them. */
    @Override
    public List<String> plotKeys() {
        return List.of("loss", "eval_loss", "rewards/accuracies");
    }
}
