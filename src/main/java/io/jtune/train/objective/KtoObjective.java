package io.jtune.train.objective;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.ForwardOutput;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Stage kto's objective (TRL's KTOTrainer as LLaMA-Factory runs it): each example is one answer
 * tagged desirable or undesirable. A batch of n examples has 2n rows: the examples (row tag 1 or 0),
 * then their KL rows — the same prompts with the answer of another example, as the feedback
 * processor pairs them. With the summed label log-probabilities of the policy (π) and the reference
 * (ρ), the batch's KL estimate is kl = max(0, mean over the KL rows of π − ρ), without gradient;
 * an example with log-ratio x = π − ρ has the loss
 * <ul>
 *   <li>desirable: kto_chosen_weight × (1 − σ(β(x − kl)))</li>
 *   <li>undesirable: kto_rejected_weight × (1 − σ(β(kl − x)))</li>
 * </ul>
 * summed here and averaged over the examples by the trainer.
 *
 * <p>Metrics: rewards/chosen and logps/chosen (βx and π averaged over the desirable examples),
 * rewards/rejected and logps/rejected (over the undesirable ones), and kl (averaged over batches).
 */
public final class KtoObjective implements Objective {
    private final double beta;
    private final double chosenWeight;
    private final double rejectedWeight;
    private final Function<Batch, double[]> reference;
    private Batch preparedFor;
    private double[] referenceLogProbs;

    /**
     * @param reference the reference model's summed label log-probability of each row, without gradients
     */
    public KtoObjective(double beta, double chosenWeight, double rejectedWeight, Function<Batch, double[]> reference) {
        if (!(beta > 0)) throw new JtuneException("pref_beta: must be positive, got " + beta);
        this.beta = beta;
        this.chosenWeight = chosenWeight;
        this.rejectedWeight = rejectedWeight;
        this.reference = reference;
    }

    /** The examples: half the rows. */
    @Override
    public double normaliser(Batch batch) {
        return tagged(batch);
    }

    /** The tagged examples; the KL rows are not examples of the dataset. */
    @Override
    public int examples(Batch batch) {
        return tagged(batch);
    }

    @Override
    public void prepare(Batch batch) {
        tagged(batch);
        referenceLogProbs = reference.apply(batch);
        preparedFor = batch;
    }

    @Override
    public Loss loss(ForwardOutput out) {
        Batch batch = out.batch();
        if (batch != preparedFor) throw new IllegalStateException("prepare(batch) must precede the pass whose loss is asked");
        int n = tagged(batch), len = batch.seqLen();
        double[] policy = out.sequenceLogProbs();
        double[] ref = referenceLogProbs;
        double klSum = 0;
        for (int i = n; i < 2 * n; i++) klSum += policy[i] - ref[i];
        double kl = Math.max(0, klSum / n);
        double[] dRow = new double[2 * n];
        Map<String, Metric> metrics = new HashMap<>();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double x = policy[i] - ref[i];
            int tag = batch.rowTags()[i];
            if (tag == 1) {
                double s = sigmoid(beta * (x - kl));
                sum += chosenWeight * (1 - s);
                dRow[i] = -chosenWeight * beta * s * (1 - s);
                add(metrics, "rewards/chosen", beta * x);
                add(metrics, "logps/chosen", policy[i]);
            } else if (tag == 0) {
                double s = sigmoid(beta * (kl - x));
                sum += rejectedWeight * (1 - s);
                dRow[i] = rejectedWeight * beta * s * (1 - s);
                add(metrics, "rewards/rejected", beta * x);
                add(metrics, "logps/rejected", policy[i]);
            } else {
                throw new IllegalArgumentException("row " + i + " of a KTO batch has tag " + tag + "; expected 1 or 0");
            }
        }
        metrics.put("kl", Metric.of(kl, 1));
        float[] d = new float[out.tokenLogProbs().length];
        for (int t = 0; t < d.length; t++) if (out.hasLabel(t)) d[t] = (float) dRow[t / len];
        return new Loss(sum, metrics, d, null);
    }

    private static void add(Map<String, Metric> metrics, String name, double value) {
        metrics.merge(name, Metric.of(value, 1), Metric::plus);
    }

    private static int tagged(Batch batch) {
        if (batch.rowTags() == null || batch.batchSize() % 2 != 0) {
            throw new IllegalArgumentException("a KTO batch has n tagged example rows and n KL rows; got " + batch.batchSize()
                    + " rows" + (batch.rowTags() == null ? " without tags" : ""));
        }
        return batch.batchSize() / 2;
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
