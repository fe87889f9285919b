package io.jtune.train.workflow;

import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import java.io.PrintStream;
import java.nio.file.Path;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: a progress bar (step/total, epoch, loss, lr, tokens/s, ETA) on a terminal,
 * plain log lines otherwise (CI logs, pipes), one per logging step.
 */
public final class ConsoleProgress implements TrainerListener {
    private final PrintStream out;
    private final boolean terminal;
    private ProgressBar bar;
    private long startNanos;
    private long startTokens = -1;
    private double lastLoss = Double.NaN;

    public ConsoleProgress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** A terminal gets the bar; anything else gets log lines. */
    public static ConsoleProgress forStdout() {
        return new ConsoleProgress(System.out, System.console() != null && System.console().isTerminal());
    }

    @Override
    public void onTrainBegin(TrainingPlan plan, int startStep) {
        startNanos = System.nanoTime();
        out.printf("Training: %d steps (%d micro-batches per epoch, accumulation %d)%s%n", plan.totalSteps(),
                plan.batchesPerEpoch(), plan.accumulation(), startStep > 0 ? ", resuming at step " + startStep : "");
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(plan.totalSteps()).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out)).startsFrom(startStep, java.time.Duration.ZERO)
                    .setUpdateIntervalMillis(250).build();
        }
    }

    @Override
    public void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
        if (startTokens < 0) startTokens = tokensSeen;
        lastLoss = loss;
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(String.format(" epoch %.2f loss %.4f lr %.2e %s tok/s", epoch, loss, learningRate, tokensPerSecond(tokensSeen)));
        }
    }

    @Override
    public void onLog(StepLog log) {
        if (bar == null) {
            StringBuilder extra = new StringBuilder();
            // by name: the metrics map has no order of its own, and a log should read the same every run
            new java.util.TreeMap<>(log.metrics()).forEach((name, value) -> extra.append(String.format(", '%s': %.4f", name, value)));
            out.printf("{'loss': %.4f, 'grad_norm': %.4f, 'learning_rate': %.3e%s, 'epoch': %.2f}  step %d/%d, %s tok/s%n",
                    log.loss(), log.gradNorm(), log.learningRate(), extra, log.epoch(), log.step(), log.totalSteps(), tokensPerSecond(log.tokensSeen()));
        }
    }

    @Override
    public void onEvaluate(int step, double epoch, double evalLoss, java.util.Map<String, Double> metrics) {
        StringBuilder extra = new StringBuilder();
        new java.util.TreeMap<>(metrics).forEach((name, value) -> extra.append(String.format(", 'eval_%s': %.4f", name, value)));
        String line = String.format("{'eval_loss': %.4f%s, 'epoch': %.2f}  step %d", evalLoss, extra, epoch, step);
        if (bar != null) bar.setExtraMessage(" " + line); else out.println(line);
    }

    @Override
    public void onCheckpoint(int step, Path checkpoint) {
        if (bar == null) out.println("Saved checkpoint " + checkpoint);
    }

    @Override
    public void onTrainEnd(TrainOutcome outcome) {
        if (bar != null) bar.close();
        out.printf("Training %s after %d steps in %.1f s: train_loss %.4f%n", outcome.interrupted() ? "stopped" : "finished",
                outcome.globalStep(), outcome.runtimeSeconds(), outcome.trainLoss());
    }

    private String tokensPerSecond(long tokensSeen) {
        double s = (System.nanoTime() - startNanos) / 1e9;
        return s > 0 ? String.format("%.0f", (tokensSeen - Math.max(0, startTokens)) / s) : "-";
    }
}
