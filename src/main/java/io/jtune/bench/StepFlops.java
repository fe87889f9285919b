package io.jtune.bench;

import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleRole;

/**
 * Model FLOPs of a LoRA training step, the numerator of MFU, over the linear modules the model's
 * family declares. Counted as the matrix products the math needs (2 FLOPs a multiply-add), whatever the implementation recomputes:
 * <ul>
 *   <li>frozen linear layers and lm_head: forward x·Wᵀ and the input gradient dY·W (no dW): 2 x 2·T·P;
 *   <li>attention: QKᵀ and PV forward (2 x 2·T²·d per layer, the full square as is customary), twice that backward;
 *   <li>LoRA factors: forward, input and weight gradients: 3 x 2·T·r·(in + out) per adapted layer.
 * </ul>
 * Norms, RoPE, softmax and the optimizer are left out (a few percent at most). A Mixture-of-Experts
 * model counts its active parameters: each token runs through top_k of the num_experts experts, so
 * an expert's projections count top_k / num_experts of their size (the router and a shared expert
 * count whole); a layer with a dense MLP counts that MLP.
 */
public final class StepFlops {
    private StepFlops() {}

    public static double loraStep(ModelConfig c, int tokens, int rank) {
        ModelFamily family = Families.of(c);
        double t = tokens;
        // Every layer's linear modules (q, k, v, o, gate, up, down in the Llama layout) are adapted.
        double linear = 0, loraSize = 0;
        for (ModelTensor w : family.allLayerLinearWeights(c)) {
            double share = ModelFamily.activeShare(w, c);
            linear += share * w.cols() * w.rows();
            loraSize += share * rank * (w.cols() + w.rows());
        }
        double lmHead = 0;
        for (ModelTensor w : family.headTensors(c, true)) if (w.role() == ModuleRole.LM_HEAD) lmHead = (double) w.rows() * w.cols();
        double layers = c.numHiddenLayers();
        double frozen = 2 * 2 * t * (linear + lmHead);
        double attention = 3 * 2 * 2 * t * t * c.qDim() * layers;
        double lora = 3 * 2 * t * loraSize;
        return frozen + attention + lora;
    }

    /**
     * Model FLOPs of a forward pass without adapters and without gradients (DPO's reference pass): the
     * frozen linear layers and lm_head, 2·T·P, and attention's QKᵀ and PV, 2 x 2·T²·d per layer.
     */
    public static double frozenForward(ModelConfig c, int tokens) {
        ModelFamily family = Families.of(c);
        double t = tokens;
        double linear = 0;
        for (ModelTensor w : family.allLayerLinearWeights(c)) linear += ModelFamily.activeShare(w, c) * w.cols() * w.rows();
        double lmHead = 0;
        for (ModelTensor w : family.headTensors(c, true)) if (w.role() == ModuleRole.LM_HEAD) lmHead = (double) w.rows() * w.cols();
        return 2 * t * (linear + lmHead) + 2 * 2 * t * t * c.qDim() * c.numHiddenLayers();
    }
}
