package io.jtune.model;

import io.jtune.nn.Kernels;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One pre-norm decoder layer, the block every family of {@link io.jtune.model.arch.DecoderLayout} shares:
 * <pre>
 *   mid = x   + o_proj(attention(rope(norm_qk(q_proj(ln1(x)))), rope(norm_qk(k_proj(ln1(x)))), v_proj(ln1(x))))
 *   out = mid + down_proj(act(gate_proj(ln2(mid))) · up_proj(ln2(mid)))
 * </pre>
 * where the norms and the gated activation are the family's, and norm_qk is the per-head q/k norm of
 * families that have one (the identity elsewhere). Gemma 2's sandwich layout also normalises each
 * branch's output before the residual add: {@code mid = x + ln_attn_out(o_proj(...))} and
 * {@code out = mid + ln_mlp_out(down_proj(...))}. Phi-3 computes q, k and v with one fused
 * projection (qkv_proj) and gate and up with another (gate_up_proj), split after the GEMM by
 * {@link FusedColumns} (their gradients joined before the fused backward), and rotates only the
 * first rotaryDim entries of each head. GLM-4-0414 combines the sandwich norms with a fused
 * gate_up_proj and rotates the first rotaryDim entries in adjacent pairs (GLM's interleaved
 * convention); ChatGLM is Llama's block with both fused projections and that rotary. A
 * Mixture-of-Experts layer (Mixtral, Qwen-MoE) runs its {@link SparseMoeBlock} on ln2(mid) in place
 * of the gated MLP. GPT-2's layer
 * has LayerNorms with biases, the fused c_attn, no rotation (its positions entered with the
 * embeddings) and an ungated MLP, down(act(up(ln2(mid)))); BLOOM's has q/k/v grouped per head in its
 * fused projection and ALiBi in attention instead; Falcon's runs attention and the MLP in parallel.
 * Training, gradient checkpointing and KV-cached decoding all run this one forward; they differ only
 * in their {@link AttentionContext}. Backward
 * walks the same steps in reverse; the residual gradient flows through {@code dx} in place.
 */
final class DecoderLayer {
    static final int Q = 0, K = 1, V = 2, O = 3, GATE = 4, UP = 5, DOWN = 6, QKV = 7, GATE_UP = 8, SLOTS = 9;

    final int index;
    final Param inputNorm, postNorm;  // postNorm null in a parallel block with one shared norm (Falcon-7B)
    final Param inputNormBias, postNormBias;   // LayerNorm families' biases (GPT-2), else null
    final Param qNorm, kNorm;         // null unless the family normalises q/k heads
    final Param attnOutNorm, mlpOutNorm;   // null unless the family normalises the branches' outputs (Gemma 2)
    final LinearModule[] modules;     // the layer's linear modules, in slot order (a fused family has fewer),
                                      // then a MoE block's (router, experts, shared expert)
    final SparseMoeBlock moe;         // the sparse MoE block in place of the MLP, else null
    private final LinearModule[] bySlot = new LinearModule[SLOTS];   // the same, indexed by slot (null: absent)

    DecoderLayer(int index, Param inputNorm, Param inputNormBias, Param postNorm, Param postNormBias, Param qNorm, Param kNorm,
                 Param attnOutNorm, Param mlpOutNorm, LinearModule[] modules) {
        this(index, inputNorm, inputNormBias, postNorm, postNormBias, qNorm, kNorm, attnOutNorm, mlpOutNorm, modules, null);
    }

    DecoderLayer(int index, Param inputNorm, Param inputNormBias, Param postNorm, Param postNormBias, Param qNorm, Param kNorm,
                 Param attnOutNorm, Param mlpOutNorm, LinearModule[] modules, SparseMoeBlock moe) {
        this.index = index;
        this.moe = moe;
        this.inputNorm = inputNorm;
        this.inputNormBias = inputNormBias;
        this.postNorm = postNorm;
        this.postNormBias = postNormBias;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.attnOutNorm = attnOutNorm;
        this.mlpOutNorm = mlpOutNorm;
        this.modules = modules;
        for (LinearModule m : modules) if (m.slot >= 0) bySlot[m.slot] = m;
    }

    /** The module in a slot (Q ... GATE_UP), or null when this family's layer has none there. */
    LinearModule module(int slot) {
        return bySlot[slot];
    }

    /** The same layer with some parameters replaced and modules rewired (an adapter's view). */
    DecoderLayer with(UnaryOperator<Param> params, Function<LinearModule, LinearModule> module) {
        LinearModule[] rewired = new LinearModule[modules.length];
        java.util.Map<LinearModule, LinearModule> byOld = new java.util.IdentityHashMap<>();
        for (int i = 0; i < modules.length; i++) byOld.put(modules[i], rewired[i] = module.apply(modules[i]));
        return new DecoderLayer(index, params.apply(inputNorm), inputNormBias == null ? null : params.apply(inputNormBias),
                postNorm == null ? null : params.apply(postNorm), postNormBias == null ? null : params.apply(postNormBias),
                qNorm == null ? null : params.apply(qNorm), kNorm == null ? null : params.apply(kNorm),
                attnOutNorm == null ? null : params.apply(attnOutNorm), mlpOutNorm == null ? null : params.apply(mlpOutNorm),
                rewired, moe == null ? null : moe.with(byOld::get));
    }

    boolean hasTrainable() {
        for (LinearModule m : modules) if (m.hasTrainable()) return true;
        return inputNorm.trainable() || (postNorm != null && postNorm.trainable())
                || (inputNormBias != null && inputNormBias.trainable()) || (postNormBias != null && postNormBias.trainable())
                || (qNorm != null && (qNorm.trainable() || kNorm.trainable()))
                || (attnOutNorm != null && (attnOutNorm.trainable() || mlpOutNorm.trainable()));
    }

    /**
     * The dropout seed of one module in one step: recomputation reuses it, so masks match.
     * A negative stepSeed means inference, where dropout is off.
     */
    private long seed(long stepSeed, int slot) {
        if (stepSeed < 0) return -1;
        return (stepSeed * 0x9E3779B97F4A7C15L + index * 31L + slot) >>> 1;
    }

    /** x → out over n tokens (out may be x itself: decoding updates the residual stream in place). */
    void forward(Kernels k, Dims d, AttentionContext attention, int n, float[] x, float[] out,
                 LayerActivations a, Workspace w, long stepSeed) {
        attentionInputs(k, d, n, x, a, w, stepSeed);
        attention.attend(index, a.q, a.k, a.v, a.att, a.lse, n);
        branchOutput(k, d, O, a.att, a.attnOut, attnOutNorm, a.rstdAttnOut, w.projected, n, a, stepSeed);
        k.add(x, w.projected, a.mid, n * d.hidden());
        if (moe != null) {
            Norms.forward(k, d, a.mid, postNorm, postNormBias, a.ln2, a.rstd2, n, d.hidden());
            moe.forward(k, d, a.ln2, w.projected, n, a.moe, stepSeed, a.moe.statistics);
        } else {
            mlpInputs(k, d, n, x, a, w, stepSeed);
            activate(k, d, a, w, n);
            branchOutput(k, d, DOWN, w.act, a.mlpOut, mlpOutNorm, a.rstdMlpOut, w.projected, n, a, stepSeed);
        }
        k.add(a.mid, w.projected, out, n * d.hidden());   // parallel: mid = x + attn, so out = x + attn + mlp
    }

    /** w.act = act(gate) ⊙ up, or act(up) for an ungated MLP (GPT-2's c_fc → gelu). */
    private static void activate(Kernels k, Dims d, LayerActivations a, Workspace w, int n) {
        if (d.gatedMlp()) d.activation().forward(k, a.gate, a.up, w.act, n * d.intermediate());
        else d.activation().forwardPlain(a.up, w.act, n * d.intermediate());
    }

    /**
     * A branch's last projection (o_proj or down_proj) of {@code input} into {@code out}; with an
     * output norm (Gemma 2) the projection goes to {@code kept} and its normalisation to out, and
     * both the projection and its 1/rms stay for backward.
     */
    private void branchOutput(Kernels k, Dims d, int slot, float[] input, float[] kept, Param norm, float[] rstd, float[] out,
                              int n, LayerActivations a, long stepSeed) {
        if (!d.postNorms()) {
            bySlot[slot].forward(k, input, out, n, a, seed(stepSeed, slot));
            return;
        }
        bySlot[slot].forward(k, input, kept, n, a, seed(stepSeed, slot));
        d.norm().forward(k, kept, norm.data, norm.offset, out, rstd, n, d.hidden(), d.eps());
    }

    /**
     * Gradient checkpointing: refills what backward reads, given the layer input x and the stored
     * residual a.mid, attention output a.att and logsumexp a.lse. Attention's forward is not rerun
     * (only q, k and v, which its backward reads), nor are o_proj's and down_proj's base GEMMs:
     * backward needs their inputs, not their outputs (only their LoRA adapters' small state is refilled).
     * With output norms (Gemma 2) it is the other way round: their backward needs the projections'
     * outputs, so o_proj and down_proj run in full and the norms' statistics are refilled.
     */
    void recompute(Kernels k, Dims d, int n, float[] x, LayerActivations a, Workspace w, long stepSeed) {
        attentionInputs(k, d, n, x, a, w, stepSeed);
        if (d.postNorms()) {
            branchOutput(k, d, O, a.att, a.attnOut, attnOutNorm, a.rstdAttnOut, w.projected, n, a, stepSeed);
        } else {
            bySlot[O].recomputeAdapter(k, a.att, n, a, seed(stepSeed, O));
        }
        if (moe != null) {   // the block's backward reads its routing and experts' projections: rerun it whole
            Norms.forward(k, d, a.mid, postNorm, postNormBias, a.ln2, a.rstd2, n, d.hidden());
            moe.forward(k, d, a.ln2, w.projected, n, a.moe, stepSeed, null);
            return;
        }
        mlpInputs(k, d, n, x, a, w, stepSeed);
        if (d.postNorms()) {
            activate(k, d, a, w, n);
            branchOutput(k, d, DOWN, w.act, a.mlpOut, mlpOutNorm, a.rstdMlpOut, w.projected, n, a, stepSeed);
        } else if (bySlot[DOWN].adapter != null) {
            activate(k, d, a, w, n);
            bySlot[DOWN].recomputeAdapter(k, w.act, n, a, seed(stepSeed, DOWN));
        }
    }

    /** input_layernorm, q/k/v projections, q_norm/k_norm and RoPE: what attention reads. */
    private void attentionInputs(Kernels k, Dims d, int n, float[] x, LayerActivations a, Workspace w, long stepSeed) {
        Norms.forward(k, d, x, inputNorm, inputNormBias, a.ln1, a.rstd1, n, d.hidden());
        float[] qOut = d.qkNorm() ? a.qRaw : a.q, kOut = d.qkNorm() ? a.kRaw : a.k;
        if (d.qkvGrouped()) {
            bySlot[QKV].forward(k, a.ln1, w.fused, n, a, seed(stepSeed, QKV));
            FusedColumns.splitGrouped(w.fused, n, d.heads(), d.kvHeads(), d.headDim(), qOut, kOut, a.v);
        } else if (d.fusedQkv()) {
            bySlot[QKV].forward(k, a.ln1, w.fused, n, a, seed(stepSeed, QKV));
            FusedColumns.split(w.fused, n, qOut, d.qDim(), kOut, d.kvDim(), a.v, d.kvDim());
        } else {
            bySlot[Q].forward(k, a.ln1, qOut, n, a, seed(stepSeed, Q));
            bySlot[K].forward(k, a.ln1, kOut, n, a, seed(stepSeed, K));
            bySlot[V].forward(k, a.ln1, a.v, n, a, seed(stepSeed, V));
        }
        if (d.qkNorm()) {
            d.norm().forward(k, a.qRaw, qNorm.data, qNorm.offset, a.q, a.rstdQ, n * d.heads(), d.headDim(), d.eps());
            d.norm().forward(k, a.kRaw, kNorm.data, kNorm.offset, a.k, a.rstdK, n * d.kvHeads(), d.headDim(), d.eps());
        }
        if (!d.rotary()) return;   // learned positions entered with the embeddings; ALiBi biases the scores
        boolean local = d.usesLocalRope(index);
        float[] cos = local ? w.cosLocal : w.cos, sin = local ? w.sinLocal : w.sin;
        if (d.ropeInterleaved()) {
            k.ropeInterleavedForward(a.q, cos, sin, n, d.heads(), d.headDim(), d.rotaryDim());
            k.ropeInterleavedForward(a.k, cos, sin, n, d.kvHeads(), d.headDim(), d.rotaryDim());
        } else {
            k.ropeForward(a.q, cos, sin, n, d.heads(), d.headDim(), d.rotaryDim());
            k.ropeForward(a.k, cos, sin, n, d.kvHeads(), d.headDim(), d.rotaryDim());
        }
    }

    /**
     * The MLP's input norm and the gate/up projections: post_attention_layernorm of a.mid, or in a
     * parallel block (Falcon) ln_mlp of the layer input x, or the attention's own normalised input.
     */
    private void mlpInputs(Kernels k, Dims d, int n, float[] x, LayerActivations a, Workspace w, long stepSeed) {
        if (postNorm != null) Norms.forward(k, d, d.parallel() ? x : a.mid, postNorm, postNormBias, a.ln2, a.rstd2, n, d.hidden());
        float[] in = mlpInput(a);
        if (!d.gatedMlp()) {
            bySlot[UP].forward(k, in, a.up, n, a, seed(stepSeed, UP));
        } else if (d.fusedGateUp()) {
            bySlot[GATE_UP].forward(k, in, w.fused, n, a, seed(stepSeed, GATE_UP));
            FusedColumns.split(w.fused, n, a.gate, d.intermediate(), a.up, d.intermediate());
        } else {
            bySlot[GATE].forward(k, in, a.gate, n, a, seed(stepSeed, GATE));
            bySlot[UP].forward(k, in, a.up, n, a, seed(stepSeed, UP));
        }
    }

    /** What the MLP's projections read: its own norm's output, or attention's (one shared norm, Falcon-7B). */
    private float[] mlpInput(LayerActivations a) {
        return postNorm != null ? a.ln2 : a.ln1;
    }

    /**
     * On entry dx holds the gradient at this layer's output; on exit the gradient at its input
     * (when needInputGrad; otherwise its content is unspecified). Parameter gradients are added.
     */
    void backward(Kernels k, Dims d, io.jtune.nn.Attention.Shape shape, int n, float[] x, float[] dx, boolean needInputGrad,
                  LayerActivations a, Workspace w, long stepSeed) {
        int hid = n * d.hidden(), inter = n * d.intermediate();
        // MLP: dx is also the gradient at mid through the residual, and collects the norm's part.
        if (moe != null) {
            Arrays.fill(w.dNorm, 0, hid, 0f);
            moe.backward(k, d, dx, a.ln2, w.dNorm, n, a.moe, w, stepSeed, a.moe.statistics);
            Norms.backward(k, d, w.dNorm, a.mid, postNorm, postNormBias, a.rstd2, dx, n, d.hidden());
        } else {
            mlpBackward(k, d, n, x, dx, needInputGrad, a, w, stepSeed);
        }

        // Attention: dx now is the gradient at mid, i.e. at this layer's input through the residual.
        Arrays.fill(w.dAtt, 0, n * d.qDim(), 0f);
        bySlot[O].backward(k, outputNormBackward(k, d, dx, a.attnOut, attnOutNorm, a.rstdAttnOut, w, n), a.att, w.dAtt,
                n, a, w, seed(stepSeed, O));
        Arrays.fill(w.dq, 0, n * d.qDim(), 0f);
        Arrays.fill(w.dk, 0, n * d.kvDim(), 0f);
        Arrays.fill(w.dv, 0, n * d.kvDim(), 0f);
        k.attentionBackward(a.q, a.k, a.v, a.att, a.lse, w.dAtt, w.dq, w.dk, w.dv, shape);
        if (d.rotary()) {
            boolean local = d.usesLocalRope(index);
            float[] cos = local ? w.cosLocal : w.cos, sin = local ? w.sinLocal : w.sin;
            if (d.ropeInterleaved()) {
                k.ropeInterleavedBackward(w.dq, cos, sin, n, d.heads(), d.headDim(), d.rotaryDim());
                k.ropeInterleavedBackward(w.dk, cos, sin, n, d.kvHeads(), d.headDim(), d.rotaryDim());
            } else {
                k.ropeBackward(w.dq, cos, sin, n, d.heads(), d.headDim(), d.rotaryDim());
                k.ropeBackward(w.dk, cos, sin, n, d.kvHeads(), d.headDim(), d.rotaryDim());
            }
        }
        float[] dq = w.dq, dk = w.dk;
        if (d.qkNorm()) {
            Arrays.fill(w.dqRaw, 0, n * d.qDim(), 0f);
            Arrays.fill(w.dkRaw, 0, n * d.kvDim(), 0f);
            d.norm().backward(k, w.dq, a.qRaw, qNorm.data, qNorm.offset, a.rstdQ, w.dqRaw,
                    qNorm.grad, qNorm.gradOffset, n * d.heads(), d.headDim());
            d.norm().backward(k, w.dk, a.kRaw, kNorm.data, kNorm.offset, a.rstdK, w.dkRaw,
                    kNorm.grad, kNorm.gradOffset, n * d.kvHeads(), d.headDim());
            dq = w.dqRaw;
            dk = w.dkRaw;
        }
        boolean sharedNorm = d.parallel() && postNorm == null;
        boolean needNormGrad = needInputGrad || inputNorm.trainable() || (inputNormBias != null && inputNormBias.trainable())
                || sharedNorm;
        float[] dLn1 = needNormGrad ? w.dNorm : null;
        if (needNormGrad && !sharedNorm) Arrays.fill(w.dNorm, 0, hid, 0f);
        if (d.qkvGrouped()) {
            FusedColumns.joinGrouped(w.fused, n, d.heads(), d.kvHeads(), d.headDim(), dq, dk, w.dv);
            bySlot[QKV].backward(k, w.fused, a.ln1, dLn1, n, a, w, seed(stepSeed, QKV));
        } else if (d.fusedQkv()) {
            FusedColumns.join(w.fused, n, dq, d.qDim(), dk, d.kvDim(), w.dv, d.kvDim());
            bySlot[QKV].backward(k, w.fused, a.ln1, dLn1, n, a, w, seed(stepSeed, QKV));
        } else {
            bySlot[Q].backward(k, dq, a.ln1, dLn1, n, a, w, seed(stepSeed, Q));
            bySlot[K].backward(k, dk, a.ln1, dLn1, n, a, w, seed(stepSeed, K));
            bySlot[V].backward(k, w.dv, a.ln1, dLn1, n, a, w, seed(stepSeed, V));
        }
        if (needNormGrad) {
            Norms.backward(k, d, w.dNorm, x, inputNorm, inputNormBias, a.rstd1, needInputGrad ? dx : null, n, d.hidden());
        }
        if (d.parallel() && postNorm != null && needInputGrad) k.add(dx, w.dParallel, dx, hid);
    }

    /**
     * The dense MLP's backward: on entry dx is the gradient at the layer's output; the norm's part is
     * added to dx (or, in a parallel block with an MLP norm of its own, kept in w.dParallel), and
     * w.dNorm keeps the gradient at the MLP's input norm output for a shared norm (Falcon-7B).
     */
    private void mlpBackward(Kernels k, Dims d, int n, float[] x, float[] dx, boolean needInputGrad, LayerActivations a,
                             Workspace w, long stepSeed) {
        int hid = n * d.hidden(), inter = n * d.intermediate();
        activate(k, d, a, w, n);
        Arrays.fill(w.dAct, 0, inter, 0f);
        bySlot[DOWN].backward(k, outputNormBackward(k, d, dx, a.mlpOut, mlpOutNorm, a.rstdMlpOut, w, n), w.act, w.dAct,
                n, a, w, seed(stepSeed, DOWN));
        Arrays.fill(w.dUp, 0, inter, 0f);
        if (d.gatedMlp()) {
            Arrays.fill(w.dGate, 0, inter, 0f);
            d.activation().backward(k, w.dAct, a.gate, a.up, w.dGate, w.dUp, inter);
        } else {
            d.activation().backwardPlain(w.dAct, a.up, w.dUp, inter);
        }
        Arrays.fill(w.dNorm, 0, hid, 0f);
        if (!d.gatedMlp()) {
            bySlot[UP].backward(k, w.dUp, mlpInput(a), w.dNorm, n, a, w, seed(stepSeed, UP));
        } else if (d.fusedGateUp()) {
            FusedColumns.join(w.fused, n, w.dGate, d.intermediate(), w.dUp, d.intermediate());
            bySlot[GATE_UP].backward(k, w.fused, mlpInput(a), w.dNorm, n, a, w, seed(stepSeed, GATE_UP));
        } else {
            bySlot[GATE].backward(k, w.dGate, mlpInput(a), w.dNorm, n, a, w, seed(stepSeed, GATE));
            bySlot[UP].backward(k, w.dUp, mlpInput(a), w.dNorm, n, a, w, seed(stepSeed, UP));
        }
        if (!d.parallel()) {
            Norms.backward(k, d, w.dNorm, a.mid, postNorm, postNormBias, a.rstd2, dx, n, d.hidden());
        } else if (postNorm != null) {
            // ln_mlp reads x: its input gradient joins dx after attention's backward, which reads dx as it is
            Arrays.fill(w.dParallel, 0, hid, 0f);
            Norms.backward(k, d, w.dNorm, x, postNorm, postNormBias, a.rstd2, needInputGrad ? w.dParallel : null, n, d.hidden());
        }
        // One shared norm (Falcon-7B): w.dNorm, the gradient at ln1 through the MLP, stays for attention's part.
    }

    /**
     * The gradient at a branch's projection output, given dy at the residual add: dy itself, or,
     * with an output norm (Gemma 2), dy taken back through that norm (its weight gradient added).
     */
    private static float[] outputNormBackward(Kernels k, Dims d, float[] dy, float[] projected, Param norm, float[] rstd,
                                              Workspace w, int n) {
        if (!d.postNorms()) return dy;
        Arrays.fill(w.dOutputNorm, 0, n * d.hidden(), 0f);
        d.norm().backward(k, dy, projected, norm.data, norm.offset, rstd, w.dOutputNorm, norm.grad, norm.gradOffset, n, d.hidden());
        return w.dOutputNorm;
    }
}
