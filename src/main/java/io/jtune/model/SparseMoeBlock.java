package io.jtune.model;

import io.jtune.model.arch.MoeConfig;
import io.jtune.nn.Kernels;
import io.jtune.nn.MoeRouting;
import io.jtune.nn.VectorMath;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The sparse Mixture-of-Experts block that replaces a decoder layer's MLP (Mixtral, Qwen2-MoE,
 * Qwen3-MoE), with transformers' math:
 * <pre>
 *   p = softmax(router(x))                      per token, over the experts (fp32)
 *   S, w = top_k(p) (renormalised to Σ w = 1 where the family does it)
 *   y = Σ_{e ∈ S} w_e · down_e(act(gate_e(x)) · up_e(x))  [ + sigmoid(shared_gate(x)) · shared(x) ]
 * </pre>
 * Each expert runs on the rows routed to it, gathered into a dense block, so its linear layers are
 * ordinary {@link LinearModule}s (LoRA on an expert adapts that expert). Backward flows through the
 * routing weights into the router (not through the choice of experts), through each expert's rows,
 * and through the shared expert and its gate; with the router aux loss it also adds that loss's
 * gradient at the router probabilities.
 */
final class SparseMoeBlock {
    private static final int GATE = 0, UP = 1, DOWN = 2, ROUTER = 3;

    private final int layer;
    private final int experts, topK;
    private final boolean renormalise;
    final LinearModule router;
    final LinearModule[][] expertModules;   // [expert][gate, up, down]
    final LinearModule[] shared;            // gate, up, down, its router (shared_expert_gate); null without one

    SparseMoeBlock(int layer, MoeConfig config, LinearModule router, LinearModule[][] expertModules, LinearModule[] shared) {
        this.layer = layer;
        this.experts = config.numExperts();
        this.topK = config.topK();
        this.renormalise = config.normTopkProb();
        this.router = router;
        this.expertModules = expertModules;
        this.shared = shared;
    }

    /** The same block over rewired modules (an adapter's view): {@code module} maps each old module to its new one. */
    SparseMoeBlock with(Function<LinearModule, LinearModule> module) {
        LinearModule[][] rewired = new LinearModule[experts][];
        for (int e = 0; e < experts; e++) rewired[e] = Arrays.stream(expertModules[e]).map(module).toArray(LinearModule[]::new);
        LinearModule[] sharedRewired = shared == null ? null : Arrays.stream(shared).map(module).toArray(LinearModule[]::new);
        return new SparseMoeBlock(layer, this, module.apply(router), rewired, sharedRewired);
    }

    private SparseMoeBlock(int layer, SparseMoeBlock like, LinearModule router, LinearModule[][] expertModules,
                           LinearModule[] shared) {
        this.layer = layer;
        this.experts = like.experts;
        this.topK = like.topK;
        this.renormalise = like.renormalise;
        this.router = router;
        this.expertModules = expertModules;
        this.shared = shared;
    }

    /** The dropout seed of one module: distinct per layer, expert and projection; recomputation reuses it. */
    private long seed(long stepSeed, int expert, int which) {
        if (stepSeed < 0) return -1;
        return (stepSeed * 0x9E3779B97F4A7C15L + layer * 31L + 1000L * (expert + 2) + which) >>> 1;
    }

    /**
     * y [n x hidden] from x [n x hidden] (y is overwritten). {@code statistics}, when non-null,
     * collects this layer's routing for the router aux loss (a recompute passes null).
     */
    void forward(Kernels k, Dims d, float[] x, float[] y, int n, MoeActivations a, long stepSeed, RouterStatistics statistics) {
        int h = d.hidden();
        a.planRouting(n, experts, topK);
        a.routerKept = MoeActivations.grow(a.routerKept, n * router.keptWidth());
        if (router.hasDropout()) a.routerDropped = MoeActivations.grow(a.routerDropped, n * h);
        router.forward(k, x, a.logits, n, a.routerKept, a.routerDropped, seed(stepSeed, -1, ROUTER));
        MoeRouting.forward(a.logits, n, experts, topK, renormalise, a.probs, a.selected, a.weights, a.sums);
        if (statistics != null) statistics.add(a.probs, a.selected, n, topK);
        groupByExpert(n, a);

        Arrays.fill(y, 0, n * h, 0f);
        for (int e = 0; e < experts; e++) {
            int rows = a.count[e];
            if (rows == 0) continue;
            float[] in = a.input[e] = MoeActivations.grow(a.input[e], rows * h);
            for (int r = 0; r < rows; r++) System.arraycopy(x, a.entries[e][r] / topK * h, in, r * h, h);
            LinearModule[] m = expertModules[e];
            int width = m[GATE].out();
            a.gate[e] = MoeActivations.grow(a.gate[e], rows * width);
            a.up[e] = MoeActivations.grow(a.up[e], rows * width);
            a.output[e] = MoeActivations.grow(a.output[e], rows * h);
            a.act = MoeActivations.grow(a.act, rows * width);
            for (int p = GATE; p <= DOWN; p++) {
                a.kept[e][p] = MoeActivations.grow(a.kept[e][p], rows * m[p].keptWidth());
                if (m[p].hasDropout()) a.dropped[e][p] = MoeActivations.grow(a.dropped[e][p], rows * m[p].in());
            }
            m[GATE].forward(k, in, a.gate[e], rows, a.kept[e][GATE], a.dropped[e][GATE], seed(stepSeed, e, GATE));
            m[UP].forward(k, in, a.up[e], rows, a.kept[e][UP], a.dropped[e][UP], seed(stepSeed, e, UP));
            d.activation().forward(k, a.gate[e], a.up[e], a.act, rows * width);
            m[DOWN].forward(k, a.act, a.output[e], rows, a.kept[e][DOWN], a.dropped[e][DOWN], seed(stepSeed, e, DOWN));
        }
        // y_t = Σ_j w_tj · expert_out, in token and rank order (deterministic whatever the expert order).
        int[] rowOf = rowOfEntry(n, a);
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < topK; j++) {
                int entry = t * topK + j, e = a.selected[entry];
                VectorMath.axpy(a.weights[entry], a.output[e], rowOf[entry] * h, y, t * h, h);
            }
        }
        if (shared != null) sharedForward(k, d, x, y, n, a, stepSeed);
    }

    /** Qwen2-MoE: y += sigmoid(shared_expert_gate(x)) · shared_expert(x). */
    private void sharedForward(Kernels k, Dims d, float[] x, float[] y, int n, MoeActivations a, long stepSeed) {
        int h = d.hidden(), width = shared[GATE].out();
        a.sharedGate = MoeActivations.grow(a.sharedGate, n * width);
        a.sharedUp = MoeActivations.grow(a.sharedUp, n * width);
        a.sharedOutput = MoeActivations.grow(a.sharedOutput, n * h);
        a.sharedLogit = MoeActivations.grow(a.sharedLogit, n);
        a.act = MoeActivations.grow(a.act, n * width);
        for (int p = GATE; p <= ROUTER; p++) {
            a.sharedKept[p] = MoeActivations.grow(a.sharedKept[p], n * shared[p].keptWidth());
            if (shared[p].hasDropout()) a.sharedDropped[p] = MoeActivations.grow(a.sharedDropped[p], n * shared[p].in());
        }
        shared[GATE].forward(k, x, a.sharedGate, n, a.sharedKept[GATE], a.sharedDropped[GATE], seed(stepSeed, -2, GATE));
        shared[UP].forward(k, x, a.sharedUp, n, a.sharedKept[UP], a.sharedDropped[UP], seed(stepSeed, -2, UP));
        d.activation().forward(k, a.sharedGate, a.sharedUp, a.act, n * width);
        shared[DOWN].forward(k, a.act, a.sharedOutput, n, a.sharedKept[DOWN], a.sharedDropped[DOWN], seed(stepSeed, -2, DOWN));
        shared[ROUTER].forward(k, x, a.sharedLogit, n, a.sharedKept[ROUTER], a.sharedDropped[ROUTER], seed(stepSeed, -2, ROUTER));
        for (int t = 0; t < n; t++) VectorMath.axpy(sigmoid(a.sharedLogit[t]), a.sharedOutput, t * h, y, t * h, h);
    }

    /**
     * On entry dy [n x hidden] is the gradient at y; adds the gradient at x to dx and every trainable
     * module's gradients. Reads what forward (or a recompute) left in {@code a}.
     */
    void backward(Kernels k, Dims d, float[] dy, float[] x, float[] dx, int n, MoeActivations a, Workspace ws, long stepSeed,
                  RouterStatistics statistics) {
        int h = d.hidden();
        a.dWeights = MoeActivations.grow(a.dWeights, n * topK);
        int[] rowOf = rowOfEntry(n, a);
        for (int entry = 0; entry < n * topK; entry++) {
            a.dWeights[entry] = VectorMath.dot(dy, entry / topK * h, a.output[a.selected[entry]], rowOf[entry] * h, h);
        }
        for (int e = 0; e < experts; e++) {
            int rows = a.count[e];
            if (rows == 0) continue;
            LinearModule[] m = expertModules[e];
            int width = m[GATE].out();
            growGradients(a, rows, width, h);
            for (int r = 0; r < rows; r++) {
                int entry = a.entries[e][r];
                Arrays.fill(a.dOut, r * h, (r + 1) * h, 0f);
                VectorMath.axpy(a.weights[entry], dy, entry / topK * h, a.dOut, r * h, h);
            }
            expertBackward(k, d, m, a.input[e], a.gate[e], a.up[e], a.dOut, a.dIn, rows, width, a, a.kept[e], a.dropped[e], ws,
                    stepSeed, e);
            for (int r = 0; r < rows; r++) VectorMath.add(a.dIn, r * h, dx, a.entries[e][r] / topK * h, h);
        }
        if (shared != null) sharedBackward(k, d, dy, x, dx, n, a, ws, stepSeed);

        float[] dProbs = null;
        if (statistics != null && statistics.gradient != null) {
            dProbs = a.dProbs = MoeActivations.grow(a.dProbs, n * experts);
            for (int t = 0; t < n; t++) {
                if (statistics.counts(t)) System.arraycopy(statistics.gradient, 0, dProbs, t * experts, experts);
                else Arrays.fill(dProbs, t * experts, (t + 1) * experts, 0f);
            }
        }
        a.dLogits = MoeActivations.grow(a.dLogits, n * experts);
        MoeRouting.backward(a.dWeights, dProbs, a.probs, a.selected, a.weights, a.sums, n, experts, topK, renormalise, a.dLogits);
        router.backward(k, a.dLogits, x, dx, n, a.routerKept, a.routerDropped, ws, seed(stepSeed, -1, ROUTER));
    }

    /** One SwiGLU expert's backward over its rows: dOut at its output, dIn (overwritten) at its input. */
    private void expertBackward(Kernels k, Dims d, LinearModule[] m, float[] in, float[] gate, float[] up, float[] dOut,
                                float[] dIn, int rows, int width, MoeActivations a, float[][] kept, float[][] dropped,
                                Workspace ws, long stepSeed, int e) {
        int h = d.hidden();
        d.activation().forward(k, gate, up, a.act, rows * width);
        Arrays.fill(a.dAct, 0, rows * width, 0f);
        m[DOWN].backward(k, dOut, a.act, a.dAct, rows, kept[DOWN], dropped[DOWN], ws, seed(stepSeed, e, DOWN));
        Arrays.fill(a.dGate, 0, rows * width, 0f);
        Arrays.fill(a.dUp, 0, rows * width, 0f);
        d.activation().backward(k, a.dAct, gate, up, a.dGate, a.dUp, rows * width);
        Arrays.fill(dIn, 0, rows * h, 0f);
        m[GATE].backward(k, a.dGate, in, dIn, rows, kept[GATE], dropped[GATE], ws, seed(stepSeed, e, GATE));
        m[UP].backward(k, a.dUp, in, dIn, rows, kept[UP], dropped[UP], ws, seed(stepSeed, e, UP));
    }

    /** s = sigmoid(g(x)), y += s · S(x): dS = s · dy, dg = (dy · S(x)) · s(1 − s). */
    private void sharedBackward(Kernels k, Dims d, float[] dy, float[] x, float[] dx, int n, MoeActivations a, Workspace ws,
                                long stepSeed) {
        int h = d.hidden(), width = shared[GATE].out();
        growGradients(a, n, width, h);
        float[] dLogit = new float[n];
        for (int t = 0; t < n; t++) {
            float s = sigmoid(a.sharedLogit[t]);
            dLogit[t] = VectorMath.dot(dy, t * h, a.sharedOutput, t * h, h) * s * (1 - s);
            Arrays.fill(a.dOut, t * h, (t + 1) * h, 0f);
            VectorMath.axpy(s, dy, t * h, a.dOut, t * h, h);
        }
        expertBackward(k, d, shared, x, a.sharedGate, a.sharedUp, a.dOut, a.dIn, n, width, a, a.sharedKept, a.sharedDropped, ws,
                stepSeed, -2);
        VectorMath.add(a.dIn, 0, dx, 0, n * h);
        shared[ROUTER].backward(k, dLogit, x, dx, n, a.sharedKept[ROUTER], a.sharedDropped[ROUTER], ws, seed(stepSeed, -2, ROUTER));
    }

    private static void growGradients(MoeActivations a, int rows, int width, int h) {
        a.act = MoeActivations.grow(a.act, rows * width);
        a.dAct = MoeActivations.grow(a.dAct, rows * width);
        a.dGate = MoeActivations.grow(a.dGate, rows * width);
        a.dUp = MoeActivations.grow(a.dUp, rows * width);
        a.dOut = MoeActivations.grow(a.dOut, rows * h);
        a.dIn = MoeActivations.grow(a.dIn, rows * h);
    }

    /** Each expert's rows: the routing entries (t·k + j) that chose it, in token order. */
    private void groupByExpert(int n, MoeActivations a) {
        Arrays.fill(a.count, 0, experts, 0);
        for (int entry = 0; entry < n * topK; entry++) a.count[a.selected[entry]]++;
        for (int e = 0; e < experts; e++) if (a.entries[e].length < a.count[e]) a.entries[e] = new int[a.count[e]];
        int[] filled = new int[experts];
        for (int entry = 0; entry < n * topK; entry++) {
            int e = a.selected[entry];
            a.entries[e][filled[e]++] = entry;
        }
    }

    /** For each routing entry, its row within its expert's block. */
    private int[] rowOfEntry(int n, MoeActivations a) {
        int[] rowOf = new int[n * topK];
        for (int e = 0; e < experts; e++) for (int r = 0; r < a.count[e]; r++) rowOf[a.entries[e][r]] = r;
        return rowOf;
    }

    private static float sigmoid(float v) {
        return 1f / (1f + io.jtune.nn.Exp.exp(-v));   // jtune's exp: the same bits in every JIT tier
    }
}
