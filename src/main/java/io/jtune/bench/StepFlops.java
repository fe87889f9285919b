package io.jtune.bench;

import io.jtune.model.arch.ModelConfig;

/**
 * Model FLOPs of a LoRA training step on a Llama-family model, the numerator of MFU. Counted as the
 * matrix products the math needs (2 FLOPs a multiply-add), whatever the implementation recomputes:
 * <ul>
 *   <li>frozen linear layers and lm_head: forward x·Wᵀ and the input gradient dY·W (no dW): 2 x 2·T·P;
 *   <li>attention: QKᵀ and PV forward (2 x 2·T²·d per layer, the full square as is customary), twice that backward;
 *   <li>LoRA factors: forward, input and weight gradients: 3 x 2·T·r·(in + out) per adapted layer.
 * </ul>
 * Norms, RoPE, softmax and the optimizer are left out (a few percent at most).
 */
public final class StepFlops {
    private StepFlops() {}

    public static double loraStep(ModelConfig c, int tokens, int rank) {
        double t = tokens;
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize();
        // (in, out) of the seven adapted projections of a layer: q, k, v, o, gate, up, down.
        long[][] linears = {{h, q}, {h, kv}, {h, kv}, {q, h}, {h, inter}, {h, inter}, {inter, h}};
        double perLayerLinear = 0, perLayerLora = 0;
        for (long[] l : linears) {
            perLayerLinear += (double) l[0] * l[1];
            perLayerLora += (double) rank * (l[0] + l[1]);
        }
        double layers = c.numHiddenLayers();
        double frozen = 2 * 2 * t * (layers * perLayerLinear + (double) c.vocabSize() * h);
        double attention = 3 * 2 * 2 * t * t * q * layers;
        double lora = 3 * 2 * t * layers * perLayerLora;
        return frozen + attention + lora;
    }
}
