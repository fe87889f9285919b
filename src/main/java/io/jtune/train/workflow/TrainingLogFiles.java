package io.jtune.train.workflow;

import io.jtune.config.TrainingArguments;
import io.jtune.train.LossPlot;
import io.jtune.train.PyJson;
import io.jtune.train.TensorBoardWriter;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainerLogWriter;
import io.jtune.train.TrainerState;
import io.jtune.train.TrainingPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files a LLaMA-Factory run leaves in output_dir as training goes: trainer_log.jsonl,
 * trainer_state.json (also inside each checkpoint), TensorBoard events when report_to names
 * tensorboard, and the loss plots when plot_loss is set.
 */
final class TrainingLogFiles implements TrainerListener {
    private final Path outputDir;
    private final TrainingArguments args;
    private final boolean plotLoss;
    private TrainerLogWriter log;
    private TensorBoardWriter tensorBoard;
    private TrainerState state;
    private int totalSteps;
    private long startNanos;

    TrainingLogFiles(Path outputDir, TrainingArguments args, boolean plotLoss) {
        this.outputDir = outputDir;
        this.args = args;
        this.plotLoss = plotLoss;
    }

    @Override
    public void onTrainBegin(TrainingPlan plan, int startStep) {
        totalSteps = plan.totalSteps();
        startNanos = System.nanoTime();
        try {
            Path previousState = outputDir.resolve("checkpoint-" + startStep);
            state = startStep > 0 && TrainerState.existsIn(previousState)
                    ? TrainerState.read(previousState.resolve(TrainerState.FILE_NAME))
                    : new TrainerState(plan.totalSteps(), (int) Math.ceil(args.numTrainEpochs()), plan.loggingEvery(),
                            plan.evalEvery(), plan.saveEvery(), args.perDeviceTrainBatchSize());
            log = new TrainerLogWriter(outputDir, startStep == 0 && args.overwriteOutputDir());
            if (args.reportTo().contains("tensorboard")) {
                tensorBoard = new TensorBoardWriter(TensorBoardWriter.defaultRunDir(
                        args.loggingDir() != null ? Path.of(args.loggingDir()).getParent() : outputDir, LocalDateTime.now()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
        state.advance(step, epoch, tokensSeen, 0);
    }

    @Override
    public void onLog(StepLog s) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("loss", PyJson.round(s.loss(), 4));
        entry.put("grad_norm", s.gradNorm());
        entry.put("learning_rate", s.learningRate());
        entry.put("epoch", PyJson.round(s.epoch(), 4));
        write(entry, s.tokensSeen());
    }

    @Override
    public void onEvaluate(int step, double epoch, double evalLoss) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("eval_loss", evalLoss);
        entry.put("epoch", PyJson.round(epoch, 4));
        write(entry, state.numInputTokensSeen());
    }

    @Override
    public void onCheckpoint(int step, Path checkpoint) {
        try {
            state.write(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void onTrainEnd(TrainOutcome outcome) {
        try {
            state.write(outputDir);
            if (plotLoss) LossPlot.plot(outputDir, state.logHistory(), List.of("loss", "eval_loss"));
            log.close();
            if (tensorBoard != null) tensorBoard.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(Map<String, Object> entry, long tokensSeen) {
        Map<String, Object> stored = state.log(entry);
        try {
            log.append(TrainerLogWriter.line(stored, state.globalStep(), totalSteps, (System.nanoTime() - startNanos) / 1e9, tokensSeen));
            if (tensorBoard != null) tensorBoard.addLogs(entry, state.globalStep());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
