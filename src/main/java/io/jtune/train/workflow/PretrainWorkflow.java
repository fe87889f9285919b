package io.jtune.train.workflow;

import io.jtune.train.objective.Objective;
import io.jtune.train.objective.TokenCrossEntropy;

/** Stage pt (LLaMA-Factory's run_pt): next-token prediction on plain text, every token a label. */
final class PretrainWorkflow implements StageWorkflow {
    @Override
    public String stage() {
        return "pt";
    }

    @Override
    public String dataStage() {
        return "pt";
    }

    @Override
    public Objective objective() {
        return new TokenCrossEntropy();
    }
}
