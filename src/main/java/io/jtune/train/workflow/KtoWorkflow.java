package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.FinetuningArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.train.objective.KtoObjective;
import io.jtune.train.objective.Objective;
import java.util.List;

/**
 * Stage kto (LLaMA-Factory's run_kto): answers tagged desirable or undesirable (kto_tag), each with a
 * KL sequence from another example's answer, trained on {@link KtoObjective} against the reference
 * model ({@link ReferenceModel}).
 */
final class KtoWorkflow implements StageWorkflow {
    @Override
    public String stage() {
        return "kto";
    }

    @Override
    public String dataStage() {
        return "kto";
    }

    @Override
    public DatasetBatches.Layout batchLayout() {
        return DatasetBatches.Layout.KTO;
    }

    @Override
    public void checkConfig(JtuneConfig config) {
        if (config.finetuning().prefFtx() > 1e-6) {
            throw new JtuneException("pref_ftx: not supported yet with stage kto (it is supported with stage dpo)");
        }
    }

    @Override
    public Objective objective(StageModels models) {
        FinetuningArguments ft = models.config().finetuning();
        return new KtoObjective(ft.prefBeta(), ft.ktoChosenWeight(), ft.ktoRejectedWeight(), ReferenceModel.logProbs(models));
    }

    /** As LLaMA-Factory's run_kto plots them. */
    @Override
    public List<String> plotKeys() {
        return List.of("loss", "eval_loss", "rewards/chosen");
    }
}
