package io.jtune.model;

/**
 * What one decoder layer's forward keeps for its backward, for up to {@code n} tokens. With
 * gradient checkpointing one instance is shared by all layers and refilled by recomputation;
 * only each layer's input, residual {@code mid} and attention result ({@code att}, {@code lse})
 * are kept per layer, and the model points those fields at the current layer's arrays.
 * The MLP's activation silu(gate)·up is not kept: backward recomputes it from gate and up.
 */
final class LayerActivations {
    final float[] ln1, rstd1;        // input_layernorm output and 1/rms per token
    final float[] qRaw, kRaw;        // q/k projections before q_norm/k_norm (qwen3), else null
    final float[] rstdQ, rstdK;      // per token and head, q/k norm families only
    final float[] q, k, v;           // after norm and RoPE: what attention saw
    // With checkpointing these three point at the current layer's own arrays, kept like its input:
    float[] att, lse;                // attention output and per-row logsumexp (recomputing them is
                                     // attention's whole forward; keeping them costs 3.6 KB a token)
    float[] mid;                     // residual stream after attention
    final float[] attnOut, rstdAttnOut;   // o_proj's output and its output norm's 1/rms (Gemma 2), else null
    final float[] mlpOut, rstdMlpOut;     // down_proj's output and its output norm's 1/rms (Gemma 2), else null
    final float[] ln2, rstd2;        // post_attention_layernorm
    final float[] gate, up;          // MLP projections (gate null in an ungated MLP: GPT-2's c_fc is up)
    final MoeActivations moe;        // the sparse MoE block's routing and expert state (MoE families), else null
    final float[][] adapterKept = new float[DecoderLayer.SLOTS][];   // what each slot's adapter keeps (LoRA: scale·x·Aᵀ)
    final float[][] adapterInput = new float[DecoderLayer.SLOTS][];  // dropout(x) per slot, only with adapter dropout

    /** {@code perLayerSlots}: allocate att, lse and mid here (false: the model points them at per-layer arrays). */
    LayerActivations(Dims d, int n, Iterable<LinearModule> modules, boolean perLayerSlots) {
        ln1 = new float[n * d.hidden()];
        rstd1 = new float[n];
        qRaw = d.qkNorm() ? new float[n * d.qDim()] : null;
        kRaw = d.qkNorm() ? new float[n * d.kvDim()] : null;
        rstdQ = d.qkNorm() ? new float[n * d.heads()] : null;
        rstdK = d.qkNorm() ? new float[n * d.kvHeads()] : null;
        q = new float[n * d.qDim()];
        k = new float[n * d.kvDim()];
        v = new float[n * d.kvDim()];
        if (perLayerSlots) {
            att = new float[n * d.qDim()];
            lse = new float[n * d.heads()];
            mid = new float[n * d.hidden()];
        }
        attnOut = d.postNorms() ? new float[n * d.hidden()] : null;
        rstdAttnOut = d.postNorms() ? new float[n] : null;
        mlpOut = d.postNorms() ? new float[n * d.hidden()] : null;
        rstdMlpOut = d.postNorms() ? new float[n] : null;
        ln2 = new float[n * d.hidden()];
        rstd2 = new float[n];
        gate = d.gatedMlp() ? new float[n * d.intermediate()] : null;
        up = new float[n * d.intermediate()];
        // Sized for every module that may run on this instance (all layers' when it is shared).
        moe = d.moe() != null ? new MoeActivations() : null;
        for (LinearModule m : modules) {
            if (m.slot < 0) continue;   // a MoE block's module: MoeActivations holds its state
            if (m.adapter != null && (adapterKept[m.slot] == null || adapterKept[m.slot].length < n * m.keptWidth())) {
                adapterKept[m.slot] = new float[n * m.keptWidth()];
            }
            if (m.hasDropout() && adapterInput[m.slot] == null) adapterInput[m.slot] = new float[n * m.in()];
        }
    }
}
