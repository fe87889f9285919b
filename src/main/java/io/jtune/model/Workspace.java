package io.jtune.model;

/**
 * Scratch buffers shared by all layers within a step: gradients flowing through a layer and
 * temporaries. A forward-only workspace (decoding) has no gradient buffers.
 */
final class Workspace {
    final float[] projected;             // o_proj / down_proj output before the residual add [n x hidden]
    final float[] act;                   // silu(gate)·up [n x intermediate]
    final float[] dNorm;                 // gradient at a norm's output [n x hidden]
    final float[] dOutputNorm;           // gradient at o_proj's / down_proj's output under an output norm (Gemma 2)
    final float[] dParallel;             // ln_mlp's input gradient, held until attention's backward is done (Falcon-40B), else null
    final float[] dq, dk, dv;            // gradients at attention's inputs
    final float[] dqRaw, dkRaw;          // gradients before q_norm/k_norm (qwen3)
    final float[] dAtt;                  // gradient at attention's output
    final float[] dGate, dUp, dAct;      // MLP gradients
    final float[] adapterScratch;        // [n x widest adapter state] (LoRA: the gradient at u)
    final float[] dropoutGrad;           // [n x widest adapted input], only with adapter dropout
    final float[] fused;                 // a fused projection's output or gradient [n x fusedWidth] (Phi-3), else null
    final float[] cos, sin;              // RoPE tables for this batch's positions
    final float[] cosLocal, sinLocal;    // the sliding layers' own RoPE tables (Gemma 3), else null

    Workspace(Dims d, int n, int maxKept, int maxDropoutInput) {
        this(d, n, maxKept, maxDropoutInput, true);
    }

    Workspace(Dims d, int n, int maxKept, int maxDropoutInput, boolean withGradients) {
        projected = new float[n * d.hidden()];
        act = new float[n * d.intermediate()];
        fused = d.fusedWidth() > 0 ? new float[n * d.fusedWidth()] : null;
        cos = new float[n * d.rotaryDim() / 2];
        sin = new float[n * d.rotaryDim() / 2];
        cosLocal = d.localRope() ? new float[n * d.rotaryDim() / 2] : null;
        sinLocal = d.localRope() ? new float[n * d.rotaryDim() / 2] : null;
        if (!withGradients) {
            dNorm = dOutputNorm = dParallel = dq = dk = dv = dqRaw = dkRaw = dAtt = dGate = dUp = dAct = adapterScratch = dropoutGrad = null;
            return;
        }
        dNorm = new float[n * d.hidden()];
        dOutputNorm = d.postNorms() ? new float[n * d.hidden()] : null;
        dParallel = d.parallelNorms() == 2 ? new float[n * d.hidden()] : null;
        dq = new float[n * d.qDim()];
        dk = new float[n * d.kvDim()];
        dv = new float[n * d.kvDim()];
        dqRaw = d.qkNorm() ? new float[n * d.qDim()] : null;
        dkRaw = d.qkNorm() ? new float[n * d.kvDim()] : null;
        dAtt = new float[n * d.qDim()];
        dGate = new float[n * d.intermediate()];
        dUp = new float[n * d.intermediate()];
        dAct = new float[n * d.intermediate()];
        adapterScratch = new float[n * Math.max(1, maxKept)];
        dropoutGrad = maxDropoutInput > 0 ? new float[n * maxDropoutInput] : null;
    }
}
