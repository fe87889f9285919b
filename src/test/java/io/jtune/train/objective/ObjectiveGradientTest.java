package io.jtune.train.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ForwardOutput;
import io.jtune.model.ModelBuilder;
import io.jtune.model.RandomWeights;
import io.jtune.model.TrainableParameter;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Objectives defined only here, in test code, train through the model's forward/backward seam and
 * match finite differences: a linear function of per-sequence log-probabilities, a nonlinear one
 * (a DPO-shaped pairwise loss, whose gradient depends on its value) and a value-head loss on final
 * hidden states.
 */
class ObjectiveGradientTest {
    private static final int VOCAB = 29;

    /** Σ_rows c_row · (−log p(row's labels)), normalised per row: needs the two-pass route. */
    static final class WeightedSequenceLogProbs implements Objective {
        final double[] weights;

        WeightedSequenceLogProbs(double... weights) { this.weights = weights; }

        @Override public double normaliser(Batch batch) { return batch.batchSize(); }

        @Override public Loss loss(ForwardOutput out) {
            double[] seq = out.sequenceLogProbs();
            double sum = 0;
            for (int r = 0; r < seq.length; r++) sum += weights[r] * -seq[r];
            float[] d = new float[out.tokenLogProbs().length];
            int seqLen = out.batch().seqLen();
            for (int t = 0; t < d.length; t++) if (out.hasLabel(t)) d[t] = (float) -weights[t / seqLen];
            return new Loss(sum, Map.of("logps/row0", Metric.of(seq[0], 1)), d, null);
        }
    }

    /** −log σ(β·(s₀ − s₁)) on the summed log-probs of rows 0 and 1, as DPO's sigmoid loss without a reference. */
    static final class PairwiseSigmoid implements Objective {
        final double beta = 0.7;

        @Override public double normaliser(Batch batch) { return 1; }

        @Override public Loss loss(ForwardOutput out) {
            double[] seq = out.sequenceLogProbs();
            double z = beta * (seq[0] - seq[1]);
            double sum = Math.log1p(Math.exp(-z));
            double dz = -1 / (1 + Math.exp(z));            // d/dz of −log σ(z)
            float[] d = new float[out.tokenLogProbs().length];
            int seqLen = out.batch().seqLen();
            for (int t = 0; t < d.length; t++) {
                if (out.hasLabel(t)) d[t] = (float) (dz * beta * (t / seqLen == 0 ? 1 : -1));
            }
            return new Loss(sum, Map.of(), d, null);
        }
    }

    /** (v·h − target)² at each row's last position: a value head's regression on the final hidden states. */
    static final class ValueHeadRegression implements Objective {
        final float[] v;

        ValueHeadRegression(int hidden) {
            v = new float[hidden];
            Random rnd = new Random(4);
            for (int i = 0; i < hidden; i++) v[i] = (float) rnd.nextGaussian();
        }

        @Override public double normaliser(Batch batch) { return batch.batchSize(); }

        @Override public int[] hiddenPositions(Batch batch) {
            int[] last = new int[batch.batchSize()];
            for (int r = 0; r < last.length; r++) last[r] = (r + 1) * batch.seqLen() - 1;
            return last;
        }

        @Override public Loss loss(ForwardOutput out) {
            int hidden = v.length;
            float[] h = out.hidden(), dh = new float[h.length];
            double sum = 0;
            for (int i = 0; i < out.hiddenPositions().length; i++) {
                double value = 0;
                for (int j = 0; j < hidden; j++) value += v[j] * h[i * hidden + j];
                double err = value - (i + 0.5);
                sum += err * err;
                for (int j = 0; j < hidden; j++) dh[i * hidden + j] = (float) (2 * err * v[j]);
            }
            return new Loss(sum, Map.of(), new float[out.tokenLogProbs().length], dh);
        }
    }

    static CausalLM model(FinetuneSpec spec) {
        ModelConfig c = ModelConfig.builder().modelType("qwen3").vocabSize(VOCAB).hiddenSize(16).intermediateSize(24)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(1).headDim(8).maxPositionEmbeddings(64)
                .qkNorm(true).tieWordEmbeddings(true).eosTokenIds(List.of(2)).dtype(DType.F32).build();
        CausalLM model = ModelBuilder.build(c, new RandomWeights(c, 7, DType.F32, 0.3), spec, new CausalLM.Options(false, 11));
        Random rnd = new Random(9);
        float[] values = model.parameterValues();
        for (TrainableParameter p : model.trainableParameters()) {
            if (p.name().endsWith("lora_B.weight")) for (int i = 0; i < p.size(); i++) values[p.offset() + i] = (float) (rnd.nextGaussian() * 0.3);
        }
        return model;
    }

    static Batch batch() {
        Random rnd = new Random(3);
        int[][] ids = new int[2][7], labels = new int[2][7];
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 7; t++) {
                ids[r][t] = rnd.nextInt(VOCAB);
                labels[r][t] = (r == 0 && t < 3) ? -100 : ids[r][t];
            }
        }
        return Batch.of(ids, labels);
    }

    /** The runner's gradient of gradScale·loss against central differences of its evaluation loss, per tensor. */
    static void checkGradients(CausalLM model, Objective objective) {
        ObjectiveRunner runner = new ObjectiveRunner(model, objective);
        Batch batch = batch();
        float gradScale = 0.5f;
        model.zeroGrad();
        Loss trained = runner.train(batch, gradScale);
        assertEquals(runner.evaluate(batch).sum(), trained.sum(), 1e-9, "training and evaluation passes agree without dropout");
        float[] grads = model.gradients().clone();
        float[] values = model.parameterValues();
        Random rnd = new Random(1);
        float eps = 1e-3f;
        for (TrainableParameter p : model.trainableParameters()) {
            float[] d = new float[p.size()];
            double analytic = 0, dNorm = 0, gNorm = 0;
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) rnd.nextGaussian();
                analytic += (double) grads[p.offset() + i] * d[i];
                dNorm += (double) d[i] * d[i];
                gNorm += (double) grads[p.offset() + i] * grads[p.offset() + i];
            }
            float[] saved = Arrays.copyOfRange(values, p.offset(), p.offset() + p.size());
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                for (int i = 0; i < d.length; i++) values[p.offset() + i] = saved[i] + (side == 0 ? eps : -eps) * d[i];
                losses[side] = gradScale * runner.evaluate(batch).sum();
            }
            System.arraycopy(saved, 0, values, p.offset(), saved.length);
            double numeric = (losses[0] - losses[1]) / (2 * eps);
            assertTrue(gNorm > 0, p.name() + " has no gradient");
            assertEquals(analytic, numeric, 1e-2 * Math.sqrt(gNorm * dNorm) + 1e-7, p.name() + ": " + analytic + " vs " + numeric);
        }
    }

    @Test
    void weightedSequenceLogProbsWithLora() {
        checkGradients(model(FinetuneSpec.lora(new FinetuneSpec.Lora(4, null, 0.0, List.of("all"), false, List.of("embed_tokens")))),
                new WeightedSequenceLogProbs(0.7, -1.3));
    }

    @Test
    void pairwiseSigmoidWithFullTuning() {
        checkGradients(model(FinetuneSpec.full()), new PairwiseSigmoid());
    }

    @Test
    void valueHeadOnHiddenStatesWithFreezeTuning() {
        checkGradients(model(FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("all"), List.of("norm")))), new ValueHeadRegression(16));
    }

    @Test
    void theTwoPassRouteGivesCrossEntropyTheFusedGradients() {
        Objective twoPass = new Objective() {
            final TokenCrossEntropy ce = new TokenCrossEntropy();
            @Override public double normaliser(Batch batch) { return ce.normaliser(batch); }
            @Override public Loss loss(ForwardOutput out) { return ce.loss(out); }
        };
        float[][] grads = new float[2][];
        double[] sums = new double[2];
        List<Objective> objectives = List.of(new TokenCrossEntropy(), twoPass);
        for (int i = 0; i < 2; i++) {
            CausalLM model = model(FinetuneSpec.lora(new FinetuneSpec.Lora(4, null, 0.0, List.of("all"), false, List.of())));
            model.zeroGrad();
            sums[i] = new ObjectiveRunner(model, objectives.get(i)).train(batch(), 0.1f).sum();
            grads[i] = model.gradients().clone();
        }
        assertEquals(sums[0], sums[1], 0.0, "the same forward pass");
        for (int j = 0; j < grads[0].length; j++) assertEquals(grads[0][j], grads[1][j], 1e-6f + 1e-4f * Math.abs(grads[0][j]));
    }
}
