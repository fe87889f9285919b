package io.jtune.train;

/**
 * How many optimizer steps a run takes and when it logs, evaluates and saves — the HF Trainer's
 * arithmetic. Intervals given below 1 are fractions of the total steps, as transformers reads them.
 *
 * @param updatesPerEpoch ceil(micro-batches / gradient_accumulation_steps), at least 1
 * @param totalSteps      max_steps when > 0, else ceil(num_train_epochs x updatesPerEpoch)
 */
public record TrainingPlan(int batchesPerEpoch, int accumulation, int updatesPerEpoch, int totalSteps,
                           int loggingEvery, int evalEvery, int saveEvery) {

    public static TrainingPlan of(int batchesPerEpoch, int accumulation, double epochs, int maxSteps,
                                  double loggingSteps, double evalSteps, double saveSteps) {
        if (batchesPerEpoch < 1) throw new io.jtune.JtuneException("the training set is empty: no batch to train on");
        int updates = Math.max(1, (batchesPerEpoch + accumulation - 1) / accumulation);
        int total = maxSteps > 0 ? maxSteps : (int) Math.ceil(epochs * updates);
        if (total < 1) throw new io.jtune.JtuneException("num_train_epochs " + epochs + " gives no training step; use a larger value or max_steps");
        return new TrainingPlan(batchesPerEpoch, accumulation, updates, total,
                interval(loggingSteps, total), interval(evalSteps, total), interval(saveSteps, total));
    }

    private static int interval(double steps, int total) {
        if (steps <= 0) return 0;
        if (steps < 1) return Math.max(1, (int) Math.ceil(steps * total));
        return (int) steps;
    }

    public static boolean due(int step, int every) {
        return every > 0 && step % every == 0;
    }
}
