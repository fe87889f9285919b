package io.jtune.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.TrainableParameter;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimizerTest {

    /** torch.optim.AdamW's update written out in double for one element. */
    private static double[] torchAdamW(double p, double[] gs, double lr, double wd) {
        double m = 0, v = 0;
        for (int t = 1; t <= gs.length; t++) {
            double g = gs[t - 1];
            p *= 1 - lr * wd;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
            p -= lr / (1 - Math.pow(0.9, t)) * m / denom;
        }
        return new double[] {p, m, v};
    }

    @Test
    void adamwMatchesTorchFormulasWithPerGroupDecay() {
        float[] params = {0.5f, -1.25f, 2f}, grads = new float[3];
        AdamW opt = AdamW.withDefaults(params, grads, List.of(new ParamGroup(0, 2, 0.1), new ParamGroup(2, 1, 0.0)));
        double[][] gradSeq = {{0.3, -0.2, 1.0}, {-0.1, 0.4, 0.5}, {0.2, 0.2, -2.0}};
        for (double[] g : gradSeq) {
            for (int i = 0; i < 3; i++) grads[i] = (float) g[i];
            opt.step(1e-2);
        }
        for (int i = 0; i < 3; i++) {
            double[] gs = {gradSeq[0][i], gradSeq[1][i], gradSeq[2][i]};
            double[] expected = torchAdamW(new float[] {0.5f, -1.25f, 2f}[i], gs, 1e-2, i < 2 ? 0.1 : 0.0);
            assertEquals(expected[0], params[i], 1e-6, "param " + i);
            assertEquals(expected[1], opt.firstMoment()[i], 1e-6);
            assertEquals(expected[2], opt.secondMoment()[i], 1e-7);
        }
        assertEquals(3, opt.steps());
    }

    @Test
    void sgdWithMomentumAndL2Decay() {
        float[] params = {1f, -2f}, grads = {0.5f, 0.25f};
        Sgd opt = new Sgd(params, grads, List.of(new ParamGroup(0, 2, 0.01)), 0.9);
        opt.step(0.1);
        // g = 0.5 + 0.01·1 = 0.51; buf = g; p = 1 − 0.051
        assertEquals(1 - 0.1 * 0.51, params[0], 1e-6);
        double g1 = 0.5 + 0.01 * params[0];
        opt.step(0.1);
        assertEquals(1 - 0.051 - 0.1 * (0.9 * 0.51 + g1), params[0], 1e-6);
    }

    @Test
    void hfDecayGroupsSkipBiasesAndNorms() {
        assertTrue(ParamGroup.decays("model.layers.0.self_attn.q_proj.weight"));
        assertTrue(ParamGroup.decays("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
        assertFalse(ParamGroup.decays("model.layers.0.self_attn.q_proj.bias"));
        assertFalse(ParamGroup.decays("model.layers.0.input_layernorm.weight"));
        assertFalse(ParamGroup.decays("model.layers.0.self_attn.q_norm.weight"));
        assertFalse(ParamGroup.decays("model.norm.weight"));
        List<ParamGroup> groups = ParamGroup.hfDefault(List.of(
                new TrainableParameter("a.q_proj.weight", 2, 2, 0),
                new TrainableParameter("a.k_proj.weight", 1, 2, 4),
                new TrainableParameter("a.q_proj.bias", 1, 2, 6),
                new TrainableParameter("model.norm.weight", 1, 3, 8)), 0.05);
        assertEquals(List.of(new ParamGroup(0, 6, 0.05), new ParamGroup(6, 5, 0.0)), groups);
    }
}
