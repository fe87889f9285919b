package io.jtune.train.workflow;

import io.jtune.train.objective.Objective;
import io.jtune.train.objective.TokenCrossEntropy;

/**
 * Stage sft (LLaMA-Factory's run_sft): next-token prediction on conversations rendered with a chat
 * template, the loss on the responses only (unless train_on_prompt).
 */
final class SupervisedWorkflow implements StageWorkflow {
    @Override
    public String stage() {
        return "sft";
    }

    @Override
    public String dataStage() {
        return "sft";
    }

    @Override
    public Objective objective() {
        return new TokenCrossEntropy();
    }

    @Override
    public boolean predicts() {
        return true;
    }
}
