package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.GeneratingArguments;
import io.jtune.config.GrpoArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.data.DataModule;
import io.jtune.infer.GenerationSettings;
import io.jtune.model.Batch;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.model.CausalLM;
import io.jtune.model.ModelBuilder;
import io.jtune.train.EvalBatches;
import io.jtune.train.ResumeDecision;
import io.jtune.train.TrainOutcome;
import io.jtune.train.objective.GroupAdvantages;
import io.jtune.train.objective.GrpoObjective;
import io.jtune.train.reward.RewardFunctions;
import io.jtune.train.rollout.CompletionLog;
import io.jtune.train.rollout.RolloutBatches;
import io.jtune.train.rollout.RolloutGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Stage grpo (TRL's GRPOTrainer, under TRL's GRPOConfig key names; LLaMA-Factory has no such stage):
 * prompt-only data; each step the policy completes its prompts num_generations times through the
 * batched decoding path, reward functions score the completions, and {@link GrpoObjective} trains on
 * the group-relative advantages. The reference of the KL term (beta > 0) is the starting policy, as in
 * TRL: the adapter of adapter_name_or_path as loaded, else the base with the adapter off (a new LoRA
 * adapter) or a frozen copy of the starting weights. See docs/rl.md.
 */
final class GrpoWorkflow implements StageWorkflow {
    /** The most sequences decoded together in a rollout. */
    private static final int MAX_ROLLOUT_BATCH = 64;

    @Override
    public boolean trainsDataParallel() {
        return false; // the rollouts would have to be shared out among the workers first
    }

    @Override
    public String stage() {
        return "grpo";
    }

    /** LLaMA-Factory's prompt-only processor (its ppo stage's). */
    @Override
    public String dataStage() {
        return "ppo";
    }

    @Override
    public void checkConfig(JtuneConfig config) {
        GrpoArguments g = config.grpo();
        TrainingArguments t = config.training();
        if (!t.doTrain() && !t.doEval()) throw new JtuneException("stage grpo: set do_train (or do_eval to score held-out prompts)");
        if (g.rewardFuncs().isEmpty()) {
            throw new JtuneException("reward_funcs: stage grpo needs at least one reward function, e.g. reward_funcs: [numeric_match]"
                    + " (docs/rl.md)");
        }
        int rows = t.perDeviceTrainBatchSize() * t.gradientAccumulationSteps();
        if (rows % g.numGenerations() != 0) {
            throw new JtuneException("num_generations: " + g.numGenerations() + " does not divide the " + rows
                    + " completions of a step (per_device_train_batch_size x gradient_accumulation_steps)");
        }
        if (!(config.generating().temperature() > 0)) {
            throw new JtuneException("temperature: stage grpo samples its completions and needs a temperature above 0");
        }
        GrpoObjective.LossType.of(g.lossType());
        GroupAdvantages.Scale.of(g.scaleRewards());
    }

    /** As TRL's GRPOTrainer logs them. */
    @Override
    public List<String> plotKeys() {
        return List.of("loss", "reward", "eval_reward");
    }

    @Override
    public TrainWorkflow.Result run(WorkflowContext context) throws IOException {
        JtuneConfig config = context.config();
        TrainingArguments args = config.training();
        PrintStream log = context.log();
        Path outputDir = Path.of(args.outputDir());
        Optional<Path> resume = ResumeDecision.resolve(outputDir, args.resumeFromCheckpoint(), args.doTrain(), args.overwriteOutputDir());
        GrpoArguments g = config.grpo();
        try (BaseModel base = BaseModel.open(config.model(), log)) {
            DataModule data = TrainingData.load(config, dataStage(), base, log);
            if (args.doTrain() && data.train().isEmpty()) throw new JtuneException("dataset: no training prompts left after preprocessing");
            TrainableModel model = TrainableModel.build(config, base, log);
            StageModels models = new StageModels(config, base, model);
            try {
                CausalLM policy = model.model();
                Set<Integer> stopIds = new LinkedHashSet<>(data.tokenizer().stopIds());
                stopIds.addAll(base.files().generationConfig().eosTokenIds());
                // an rm adapter goes over the starting weights: the policy's own model when only its adapter trains
                Supplier<CausalLM> frozenBase = config.finetuning().isLora() ? () -> policy
                        : () -> ModelBuilder.frozen(base.config(), new HfWeightSource(base.files()));
                RewardFunctions rewards = models.closeWithRun(RewardFunctions.resolve(g, context.rewardFunctions(), frozenBase, stopIds));
                GeneratingArguments gen = config.generating();
                GenerationSettings sampling = new GenerationSettings(true, gen.temperature(), gen.topP(), gen.topK(), gen.repetitionPenalty(),
                        0, 0, g.maxCompletionLength(), null);
                int rowsPerStep = args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps();
                RolloutGenerator generator = new RolloutGenerator(policy, policy.adapter(), sampling, stopIds,
                        Math.min(MAX_ROLLOUT_BATCH, rowsPerStep));
                // every log-probability (policy, old, reference) is of the logits divided by the sampling temperature, as TRL's
                float temperature = (float) gen.temperature();
                // with one iteration per rollout batch the old log-probabilities are the current ones (ρ = 1)
                Function<Batch, double[]> old = g.numIterations() > 1
                        ? batch -> policy.forward(batch, policy.adapter(), false, null, temperature).tokenLogProbs() : null;
                Function<Batch, double[]> reference = g.beta() > 0 ? ReferenceModel.startingPolicyTokenLogProbs(models, temperature) : null;
                RolloutBatches.Settings settings = new RolloutBatches.Settings(rowsPerStep / g.numGenerations(), g.numGenerations(),
                        args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps(), g.numIterations(), args.seed(),
                        !config.finetuning().disableShuffling(), data.tokenizer().padId(), GroupAdvantages.Scale.of(g.scaleRewards()),
                        g.completionLogSamples());
                RolloutBatches batches = new RolloutBatches(settings, args.doTrain() ? data.train() : List.of(), data.tokenizer().tokenizer(),
                        generator, rewards, old, reference, new CompletionLog(outputDir, resume.isPresent()));
                GrpoObjective objective = new GrpoObjective(new GrpoObjective.Settings(GrpoObjective.LossType.of(g.lossType()),
                        g.epsilon(), g.epsilonHigh(), g.beta(), g.maxCompletionLength(), gen.temperature()), batches);
                EvalBatches eval = batches.evaluation(RlEvaluation.heldOut(data));
                if (!args.doTrain()) return RlEvaluation.only(model, objective, eval, outputDir);
                log.printf("GRPO: %d prompts x %d generations per step, rewards: %s%n", settings.promptsPerRound(), g.numGenerations(),
                        rewards.functions().stream().map(RewardFunctions.Named::name).toList());
                TrainOutcome outcome = new TrainingLoop(context, plotKeys()).run(model, objective, batches, eval, resume);
                if (!outcome.interrupted()) {
                    model.weights().saveFinal(outputDir, base.dir(), ModelCard.of(config, outcome));
                    log.println("Saved to " + outputDir.toAbsolutePath());
                } else {
                    log.println("Training stopped at step " + outcome.globalStep() + "; resume with resume_from_checkpoint: "
                            + outputDir.resolve("checkpoint-" + outcome.globalStep()));
                }
                return new TrainWorkflow.Result(outputDir, outcome, outcome.finalEvalLoss(), outcome.finalEvalMetrics());
            } finally {
                models.closeOpened();
            }
        }
    }
}
