package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.data.DataModule;
import io.jtune.data.TokenizedExample;
import io.jtune.model.Batch;
import io.jtune.train.Evaluation;
import io.jtune.train.ResumeDecision;
import io.jtune.train.TrainOutcome;
import io.jtune.train.objective.Objective;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The run of a stage that trains one model on one objective (pt, sft, dpo): open the base model, load the
 * stage's data, build the model for the fine-tuning type, then evaluate only (do_train false) or
 * train, evaluate and save what was trained in output_dir.
 */
final class StandardRun {
    private final StageWorkflow stage;
    private final WorkflowContext context;

    StandardRun(StageWorkflow stage, WorkflowContext context) {
        this.stage = stage;
        this.context = context;
    }

    TrainWorkflow.Result run() throws IOException {
        JtuneConfig config = context.config();
        TrainingArguments args = config.training();
        PrintStream log = context.log();
        Path outputDir = Path.of(args.outputDir());
        // decided before anything loads, so that a refused output_dir costs no time
        Optional<Path> resume = ResumeDecision.resolve(outputDir, args.resumeFromCheckpoint(), args.doTrain(), args.overwriteOutputDir());

        try (BaseModel base = BaseModel.open(config.model(), log)) {
            DataModule data = TrainingData.load(config, stage.dataStage(), base, log);
            TrainableModel model = TrainableModel.build(config, base, log);
            int padId = data.tokenizer().padId();
            List<TokenizedExample> evalExamples = data.eval().getOrDefault("validation", List.of());
            List<Batch> evalBatches = DatasetBatches.inOrder(evalExamples, args.perDeviceEvalBatchSize(), padId, config.data().neatPacking(),
                    stage.batchLayout());
            StageModels models = new StageModels(config, base, model);
            try {
                Objective objective = stage.objective(models);
                boolean predictScores = args.doPredict() && stage.predictsScores();
                if (!args.doTrain()) {
                    Evaluation evaluation = args.doEval() ? EvaluationOnly.run(model.model(), objective, evalBatches, outputDir) : null;
                    if (predictScores) RewardPrediction.run(model.model(), objective, evalBatches, outputDir, args.perDeviceEvalBatchSize(), log);
                    return evaluation == null ? new TrainWorkflow.Result(outputDir, null, null)
                            : new TrainWorkflow.Result(outputDir, null, evaluation.loss(), evaluation.metrics());
                }
                if (data.train().isEmpty()) throw new JtuneException("dataset: no training examples left after preprocessing");
                TrainOutcome outcome = new TrainingLoop(context, stage.plotKeys(), stage.batchLayout())
                        .run(model, objective, data.train(), padId, evalBatches, resume);
                if (!context.group().writesOutputs()) {
                    log.println("Worker " + context.group().rank() + " of " + context.group().worldSize() + " done; rank 0 saves to "
                            + outputDir.toAbsolutePath());
                } else if (!outcome.interrupted()) {
                    model.weights().saveFinal(outputDir, base.dir(), ModelCard.of(config, outcome));
                    log.println("Saved to " + outputDir.toAbsolutePath());
                    if (predictScores) RewardPrediction.run(model.model(), objective, evalBatches, outputDir, args.perDeviceEvalBatchSize(), log);
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
