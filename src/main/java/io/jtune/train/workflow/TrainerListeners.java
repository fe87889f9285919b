package io.jtune.train.workflow;

import io.jtune.train.MetricWatch;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import java.nio.file.Path;
import java.util.List;

/** Several listeners as one, called in order. */
final class TrainerListeners implements TrainerListener {
    private final List<TrainerListener> listeners;

    private TrainerListeners(List<TrainerListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    static TrainerListener all(List<TrainerListener> listeners) {
        return new TrainerListeners(listeners);
    }

    @Override public void onTrainBegin(TrainingPlan plan, int startStep) { listeners.forEach(l -> l.onTrainBegin(plan, startStep)); }
    @Override public void onStep(int step, double loss, double lr, double epoch, long tokens) { listeners.forEach(l -> l.onStep(step, loss, lr, epoch, tokens)); }
    @Override public void onLog(StepLog log) { listeners.forEach(l -> l.onLog(log)); }
    @Override public void onEvaluate(int step, double epoch, double evalLoss, java.util.Map<String, Double> metrics) {
        listeners.forEach(l -> l.onEvaluate(step, epoch, evalLoss, metrics));
    }
    @Override public void onEvaluate(int step, double epoch, double evalLoss, java.util.Map<String, Double> metrics, EvalSpeed speed) {
        listeners.forEach(l -> l.onEvaluate(step, epoch, evalLoss, metrics, speed));
    }
    @Override public void onMetricWatch(MetricWatch.State state) { listeners.forEach(l -> l.onMetricWatch(state)); }
    @Override public void onCheckpoint(int step, Path checkpoint) { listeners.forEach(l -> l.onCheckpoint(step, checkpoint)); }
    @Override public void onEarlyStop(int step, int patience) { listeners.forEach(l -> l.onEarlyStop(step, patience)); }
    @Override public void onBestModelLoaded(Path checkpoint, double metric) { listeners.forEach(l -> l.onBestModelLoaded(checkpoint, metric)); }
    @Override public void onTrainEnd(TrainOutcome outcome) { listeners.forEach(l -> l.onTrainEnd(outcome)); }
}
