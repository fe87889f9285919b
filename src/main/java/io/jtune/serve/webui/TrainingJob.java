package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.config.JtuneConfig;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainerListener;
import io.jtune.train.TrainingPlan;
import io.jtune.train.workflow.TrainWorkflow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * One run of {@code jtune train} (or an evaluation, which is the same workflow with do_train false)
 * inside the web UI's process, on a thread of its own. Everything the page shows — state, step,
 * ETA, losses, the objective's latest metrics, the log tail — is recorded here by listening to the
 * trainer, so a reloaded page sees the job exactly as it is.
 */
public final class TrainingJob extends BackgroundJob implements TrainerListener {
    /**
     * The metrics a stage's live charts draw beside the loss, as plot_loss draws them for that stage:
     * the share of pairs ranked right for dpo and rm, the chosen reward for kto, the mean reward and the
     * KL to the reference for ppo and grpo (grpo logs kl when beta > 0). pt and sft have none.
     */
    static final Map<String, List<String>> STAGE_METRICS = Map.of("dpo", List.of("rewards/accuracies"), "rm", List.of("accuracy"),
            "kto", List.of("rewards/chosen"), "ppo", List.of("reward", "kl"), "grpo", List.of("reward", "kl"));

    private final JtuneConfig config;
    private final TrainWorkflow workflow;
    private final List<double[]> losses = new ArrayList<>();
    private final List<double[]> evalLosses = new ArrayList<>();
    /** The latest value of each objective metric: as logged in training, and as eval_ + name from evaluations. */
    private final Map<String, Double> metrics = new TreeMap<>();
    /** The stage's charted metrics (none for pt, sft), each with its values by step: logged in training, and from evaluations. */
    private final List<Curve> curves = new ArrayList<>();

    /** One charted metric's points. */
    private record Curve(String name, List<double[]> train, List<double[]> eval) {}

    private int step;
    private int startStep;
    private int totalSteps;
    private double epoch;
    private double learningRate;
    private long beganNanos;
    private TrainWorkflow.Result result;

    /**
     * @param kind       the form that started it (train, evaluate)
     * @param formValues what the user set in that form, so a reloaded page can show the form as it was
     */
    TrainingJob(String kind, JtuneConfig config, Map<String, Object> formValues, String yaml, LongSupplier nanoClock) {
        super(kind, formValues, yaml, nanoClock);
        this.config = config;
        this.workflow = new TrainWorkflow(config, logStream());
        for (String name : STAGE_METRICS.getOrDefault(config.finetuning().stage(), List.of())) {
            curves.add(new Curve(name, new ArrayList<>(), new ArrayList<>()));
        }
    }

    /** Running only once the trainer has planned its steps (loading the model and data comes first). */
    @Override
    protected State stateWhenStarted() {
        return State.STARTING;
    }

    @Override
    protected void work() throws Exception {
        TrainWorkflow.Result r = workflow.run(List.of(this));
        synchronized (this) {
            result = r;
            setState(r.outcome() != null && r.outcome().interrupted() ? State.ABORTED : State.FINISHED);
        }
    }

    /** Asks the trainer to stop after its current step and save a checkpoint. */
    @Override
    public synchronized void abort() {
        if (state() == State.STARTING || state() == State.RUNNING) {
            setState(State.STOPPING);
            workflow.requestStop();
        }
    }

    @Override
    public synchronized void onTrainBegin(TrainingPlan plan, int startStep) {
        this.totalSteps = plan.totalSteps();
        this.startStep = startStep;
        this.step = startStep;
        this.beganNanos = now();
        if (state() == State.STOPPING) {
            workflow.requestStop(); // the abort came while the model was loading
        } else {
            setState(State.RUNNING);
        }
    }

    @Override
    public synchronized void onStep(int step, double loss, double learningRate, double epoch, long tokensSeen) {
        this.step = step;
        this.epoch = epoch;
        this.learningRate = learningRate;
        losses.add(new double[] {step, loss});
    }

    @Override
    public synchronized void onLog(StepLog log) {
        metrics.putAll(log.metrics());
        for (Curve c : curves) {
            Double value = log.metrics().get(c.name());
            if (value != null) c.train().add(new double[] {log.step(), value});
        }
    }

    @Override
    public synchronized void onEvaluate(int step, double epoch, double evalLoss, Map<String, Double> evalMetrics) {
        evalLosses.add(new double[] {step, evalLoss});
        evalMetrics.forEach((name, value) -> metrics.put("eval_" + name, value));
        for (Curve c : curves) {
            Double value = evalMetrics.get(c.name());
            if (value != null) c.eval().add(new double[] {step, value});
        }
    }

    @Override
    public synchronized void onTrainEnd(TrainOutcome outcome) {
        this.step = outcome.globalStep();
    }

    /** Seconds left, from the pace of the steps of this run; null before the first step. */
    synchronized Double etaSeconds() {
        int done = step - startStep;
        if (done <= 0 || !isActive() || totalSteps <= step) return done > 0 && totalSteps <= step ? 0.0 : null;
        double perStep = (now() - beganNanos) / 1e9 / done;
        return perStep * (totalSteps - step);
    }

    @Override
    protected void describe(ObjectNode n) {
        n.put("step", step);
        n.put("total_steps", totalSteps);
        n.put("epoch", epoch);
        n.put("learning_rate", learningRate);
        Double eta = etaSeconds();
        if (eta != null) n.put("eta_s", eta);
        n.put("output_dir", config.training().outputDir());
        points(n.putArray("loss"), losses);
        points(n.putArray("eval_loss"), evalLosses);
        if (!curves.isEmpty()) {
            // metric_curve: the stage's first metric (the one chart of dpo, rm, kto); metric_curves: all of them
            describe(n.putObject("metric_curve"), curves.getFirst());
            ArrayNode all = n.putArray("metric_curves");
            for (Curve c : curves) describe(all.addObject(), c);
        }
        ObjectNode latest = n.putObject("metrics");
        metrics.forEach(latest::put);
        if (result != null) {
            ObjectNode r = n.putObject("result");
            if (result.evalLoss() != null) r.put("eval_loss", result.evalLoss());
            result.evalMetrics().forEach((name, value) -> r.put("eval_" + name, value));
            if (result.outcome() != null) {
                r.put("train_loss", result.outcome().trainLoss());
                r.put("global_step", result.outcome().globalStep());
                r.put("train_runtime", result.outcome().runtimeSeconds());
            }
        }
    }

    private static void describe(ObjectNode out, Curve c) {
        out.put("name", c.name());
        points(out.putArray("train"), c.train());
        points(out.putArray("eval"), c.eval());
    }

    private static void points(ArrayNode out, List<double[]> points) {
        for (double[] p : points) out.addArray().add((int) p[0]).add(p[1]);
    }
}
