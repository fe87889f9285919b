package io.jtune.cli;

import io.jtune.config.JtuneConfig;
import io.jtune.infer.PredictWorkflow;
import io.jtune.train.workflow.ConsoleProgress;
import io.jtune.train.workflow.TrainWorkflow;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jtune train CONFIG [key=value ...]}: LLaMA-Factory's {@code llamafactory-cli train}. */
@Command(name = "train", description = {"Train with a LLaMA-Factory YAML or JSON config (stages pt, sft, rm, dpo, kto; lora, freeze, full).",
        "Overrides after the file: key=value, e.g. learning_rate=5e-5 max_steps=100.",
        "do_predict with predict_with_generate writes generated_predictions.jsonl and predict_results.json (BLEU/ROUGE).",
        "With stage rm, do_predict writes each evaluation pair's chosen and rejected scores there instead.",
        "Ctrl-C saves a checkpoint and exits; run again (or set resume_from_checkpoint) to continue.",
        "Every key: jtune config keys, or docs/config.md."})
final class TrainCommand implements Callable<Integer> {
    @Mixin ConfigFileArgs args;

    @Override
    public Integer call() throws Exception {
        JtuneConfig cfg = args.load();
        boolean predict = PredictWorkflow.requested(cfg);
        if (predict && !cfg.training().doTrain() && !cfg.training().doEval()) {
            new PredictWorkflow(cfg, System.out).run();
            return 0;
        }
        TrainWorkflow workflow = new TrainWorkflow(cfg, System.out);
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C / SIGTERM: let the current step finish and a checkpoint be written before the JVM exits.
        Thread onSignal = new Thread(() -> {
            System.err.println("\nStopping after this step and saving a checkpoint ...");
            workflow.requestStop();
            try {
                finished.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "jtune-stop");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try {
            TrainWorkflow.Result result = workflow.run(List.of(ConsoleProgress.forStdout()));
            boolean interrupted = result.outcome() != null && result.outcome().interrupted();
            if (predict && !interrupted) new PredictWorkflow(PredictWorkflow.afterTraining(args.config, args.overrides, cfg), System.out).run();
            return 0;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running: it waits for the latch released above
            }
        }
    }
}
