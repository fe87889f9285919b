package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.FinetuningArguments;
import io.jtune.config.GeneratingArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.PpoArguments;
import io.jtune.config.TrainingArguments;
import io.jtune.data.DataModule;
import io.jtune.infer.GenerationSettings;
import io.jtune.model.CausalLM;
import io.jtune.train.EvalBatches;
import io.jtune.train.ResumeDecision;
import io.jtune.train.TrainOutcome;
import io.jtune.train.objective.KlController;
import io.jtune.train.objective.PpoAdvantages;
import io.jtune.train.objective.PpoObjective;
import io.jtune.train.reward.RewardFunction;
import io.jtune.train.rollout.CompletionLog;
import io.jtune.train.rollout.PpoRollouts;
import io.jtune.train.rollout.RolloutGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Stage ppo (LLaMA-Factory's run_ppo over TRL's PPOTrainer): prompt-only data; the policy carries a
 * value head; each rollout batch is completed by the policy through the batched decoding path, scored
 * by the reward model ({@link PpoRewardModel}), turned into advantages against the reference (the
 * base with the adapter off under LoRA, else ref_model or a frozen copy of the starting weights) and
 * trained on for ppo_epochs passes with {@link PpoObjective}. See docs/rl.md.
 */
final class PpoWorkflow implements StageWorkflow {
    /** The most sequences decoded together in a rollout. */
    private static final int MAX_ROLLOUT_BATCH = 64;

    @Override
    public String stage() {
        return "ppo";
    }

    @Override
    public String dataStage() {
        return "ppo";
    }

    @Override
    public void checkConfig(JtuneConfig config) {
        TrainingArguments t = config.training();
        PpoArguments p = config.ppo();
        FinetuningArguments ft = config.finetuning();
        if (!t.doTrain() && !t.doEval()) throw new JtuneException("stage ppo: set do_train (or do_eval to score held-out prompts)");
        if (t.loadBestModelAtEnd()) throw new JtuneException("load_best_model_at_end: stage ppo does not support it (as LLaMA-Factory)");
        if (p.rewardModel() == null || p.rewardModel().isBlank()) {
            throw new JtuneException("reward_model: stage ppo needs a reward model (an rm adapter or model written by stage rm, or a"
                    + " scoring server's URL with reward_model_type: api)");
        }
        if (p.rewardModelType().equals("lora") && !ft.isLora()) {
            throw new JtuneException("reward_model_type: lora cannot be used with finetuning_type " + ft.finetuningType()
                    + " (the rm adapter goes over the policy's own LoRA base); use reward_model_type: full");
        }
        if (p.rewardModelType().equals("api") && !(p.rewardModel().startsWith("http://") || p.rewardModel().startsWith("https://"))) {
            throw new JtuneException("reward_model: reward_model_type api needs the scoring server's full URL (http:// or https://), got '"
                    + p.rewardModel() + "'");
        }
        if (p.rewardModelAdapters() != null && !p.rewardModelType().equals("full")) {
            throw new JtuneException("reward_model_adapters: only used with reward_model_type: full (it is " + p.rewardModelType() + ")");
        }
        if (config.generating().doSample() && !(config.generating().temperature() > 0)) {
            throw new JtuneException("temperature: stage ppo samples its completions (do_sample) and needs a temperature above 0");
        }
    }

    /**
     * The temperature every log-probability of the run is taken at (policy, old, reference): the sampling
     * temperature, as TRL's PPOTrainer divides the logits by it; with do_sample false the rollouts are greedy,
     * no temperature shaped them (transformers ignores it then), and the log-probabilities are the model's own.
     */
    static float logitTemperature(GeneratingArguments gen) {
        return gen.doSample() ? (float) gen.temperature() : 1f;
    }

    /** As LLaMA-Factory's run_ppo plots them, and the held-out reward. */
    @Override
    public List<String> plotKeys() {
        return List.of("loss", "reward", "eval_reward");
    }

    @Override
    public TrainWorkflow.Result run(WorkflowContext context) throws IOException {
        JtuneConfig config = context.config();
        TrainingArguments args = config.training();
        PpoArguments ppo = config.ppo();
        PrintStream log = context.log();
        Path outputDir = Path.of(args.outputDir());
        Optional<Path> resume = ResumeDecision.resolve(outputDir, args.resumeFromCheckpoint(), args.doTrain(), args.overwriteOutputDir());
        try (BaseModel base = BaseModel.open(config.model(), log)) {
            DataModule data = TrainingData.load(config, dataStage(), base, log);
            if (args.doTrain() && data.train().isEmpty()) throw new JtuneException("dataset: no training prompts left after preprocessing");
            TrainableModel model = TrainableModel.build(config, base, log);
            StageModels models = new StageModels(config, base, model);
            try {
                CausalLM policy = model.model();
                Set<Integer> stopIds = new LinkedHashSet<>(data.tokenizer().stopIds());
                stopIds.addAll(base.files().generationConfig().eosTokenIds());
                RewardFunction reward = PpoRewardModel.open(ppo, policy, data.tokenizer().tokenizer());
                if (reward instanceof AutoCloseable c) models.closeWithRun(c);
                GeneratingArguments gen = config.generating();
                int maxNew = gen.limitsNewTokens() ? gen.maxNewTokens() : gen.maxLength();
                GenerationSettings sampling = new GenerationSettings(gen.doSample(), gen.temperature(), gen.topP(), gen.topK(),
                        gen.repetitionPenalty(), 0, 0, maxNew, null);
                float temperature = logitTemperature(gen);
                PpoRollouts.Settings settings = new PpoRollouts.Settings(args.perDeviceTrainBatchSize(), args.gradientAccumulationSteps(),
                        ppo.ppoBufferSize(), ppo.ppoEpochs(), args.seed(), !config.finetuning().disableShuffling(), data.tokenizer().padId(),
                        ppo.ppoScoreNorm(), new PpoAdvantages.Settings(ppo.gamma(), ppo.lam(), ppo.ppoWhitenRewards()),
                        config.grpo().completionLogSamples(), temperature);
                RolloutGenerator generator = new RolloutGenerator(policy, policy.adapter(), sampling, stopIds,
                        Math.min(MAX_ROLLOUT_BATCH, settings.rowsPerRollout()));
                KlController kl = new KlController(ppo.initKlCoef(), ppo.ppoTarget(), ppo.horizon());
                if (resume.isPresent()) {
                    log.println("Note: the adaptive KL coefficient and the score statistics (ppo_score_norm) restart from their initial"
                            + " values on resume; they are not part of a checkpoint");
                }
                PpoRollouts batches = new PpoRollouts(settings, args.doTrain() ? data.train() : List.of(), data.tokenizer().tokenizer(),
                        generator, reward, policy, ReferenceModel.tokenLogProbs(models, temperature), kl,
                        new CompletionLog(outputDir, resume.isPresent()));
                PpoObjective objective = new PpoObjective(new PpoObjective.Settings(ppo.cliprange(), ppo.cliprangeValue(), ppo.vfCoef(),
                        temperature), policy.valueHead(), batches);
                EvalBatches eval = batches.evaluation(RlEvaluation.heldOut(data));
                if (!args.doTrain()) return RlEvaluation.only(model, objective, eval, outputDir);
                log.printf("PPO: %d prompts per rollout batch, %d optimizer steps on each, reward model (%s): %s%n",
                        settings.rowsPerRollout(), ppo.ppoEpochs() * ppo.ppoBufferSize(), ppo.rewardModelType(), ppo.rewardModel());
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
