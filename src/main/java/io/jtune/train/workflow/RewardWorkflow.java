package io.jtune.train.workflow;

import io.jtune.config.JtuneConfig;
import io.jtune.train.objective.Objective;
import io.jtune.train.objective.RewardObjective;
import java.util.List;

/**
 * Stage rm (LLaMA-Factory's run_rm): a reward model trained on preference pairs — the model (with
 * LoRA, freeze or full tuning) and a value head that trains fully beside it, saved as
 * value_head.safetensors next to the adapter or model ({@link TrainedWeights}); do_predict scores the
 * evaluation pairs ({@link RewardPrediction}).
 */
final class RewardWorkflow implements StageWorkflow {
    @Override
    public String stage() {
        return "rm";
    }

    @Override
    public String dataStage() {
        return "rm";
    }

    @Override
    public DatasetBatches.Layout batchLayout() {
        return DatasetBatches.Layout.PAIRS;
    }

    @Override
    public void checkConfig(JtuneConfig config) {
        if (config.training().doPredict() && config.data().evalDataset().isEmpty() && !config.data().hasValSplit()) {
            throw new io.jtune.JtuneException("do_predict: stage rm scores the evaluation pairs; set eval_dataset (or val_size)");
        }
    }

    @Override
    public Objective objective(StageModels models) {
        return new RewardObjective(models.model().model().valueHead());
    }

    /** do_predict writes each evaluation pair's scores, as LLaMA-Factory's run_rm does. */
    @Override
    public boolean predictsScores() {
        return true;
    }

    /** As LLaMA-Factory's run_rm plots them. */
    @Override
    public List<String> plotKeys() {
        return List.of("loss", "eval_loss", "eval_accuracy");
    }
}
