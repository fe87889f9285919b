package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.nn.Attention;
import io.jtune.nn.Kernels;
import io.jtune.nn.LmHead;
import io.jtune.nn.Rope;
import io.jtune.nn.VectorMath;
import io.jtune.tensor.Gemm;
import io.jtune.tensor.Matrix;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only language model of any declared family that trains: forward, hand-derived backward
 * and the trainable parameters, built by {@link ModelBuilder}.
 *
 * <p>A forward pass runs with the base weights or through a {@link LoraAdapter}; several adapters can
 * sit over one base. What trains is either the model's own parameters (full and freeze tuning) or the
 * adapter it was built with (LoRA): {@link #trainable()}.
 *
 * <p>Training objectives see the model through {@link #forward} — per-token log-probabilities of
 * the labels and, on request, final hidden states — and hand the gradient with respect to those to
 * {@link #backward}. The log-probabilities are log softmax(logits / temperature), with a temperature
 * of 1 unless a pass names one: stages ppo and grpo train on the distribution their rollouts were
 * sampled from, as TRL does. An objective that weighs each token's log-probability by a weight known before
 * the pass (cross-entropy) uses {@link #forwardBackward(Batch, LoraAdapter, float[])}, which runs the
 * LM head's forward and backward in one pass. Typical cross-entropy step, as HF's Trainer does it:
 * <pre>
 *   model.zeroGrad();
 *   for (Batch b : microBatches) model.forwardBackward(b, 1f / labelTokensOfAllMicroBatches);
 *   model.clipGradientNorm(1.0);
 *   optimizer.step(lr);   // over model.parameterValues() / model.gradients()
 * </pre>
 * Activations are planned for the largest batch seen and reused; a step allocates nothing big, and
 * the [tokens x vocab] logits are never kept.
 */
public final class CausalLM {
    /**
     * @param gradientCheckpointing keep only each layer's input and post-attention residual, and
     *                              recompute the rest before the layer's backward (LLaMA-Factory
     *                              turns this on unless disable_gradient_checkpointing)
     * @param seed                  seeds LoRA's initialisation and dropout masks
     */
    public record Options(boolean gradientCheckpointing, long seed) {
        public static Options defaults() {
            return new Options(false, 42);
        }
    }

    private final ModelConfig config;
    private final ModelFamily family;
    private final Dims dims;
    private final Kernels kernels;
    private final Options options;
    private final ModelWeights base;
    private final Map<String, Param> baseParams;  // by HF name, for adapters and exports
    private final ParameterSet store;             // the model's own trainable parameters (full, freeze)
    private LoraAdapter trainingAdapter;          // LoRA: the adapter that trains and that passes use by default
    private ValueHead valueHead;                  // stage rm: trains with the trainable set; null otherwise
    private final float[] invFreq;
    private final float[] invFreqLong;           // LongRoPE's long-factor frequencies (Phi-3 128k), else null
    private final float[] invFreqLocal;          // the sliding layers' RoPE (Gemma 3), else null
    private final LmHead lmHead;

    private int capacity;                    // tokens the buffers below are planned for
    private ModelWeights plannedFor;         // the view whose LoRA ranks the buffers fit
    private float[][] layerInputs;           // [layers + 1][n x hidden]: residual stream between layers
    private float[][] layerMids;             // with checkpointing: each layer's residual after attention,
    private float[][] layerAtts, layerLses;  // and its attention output and logsumexp
    private LayerActivations[] activations;  // one per layer, or one shared with checkpointing
    private Workspace workspace;
    private float[] finalHidden, finalRstd, dHidden, dResidual;
    private float[] embedRaw, embedRstd;     // the embeddings before BLOOM's embedding norm and its statistics, else null
    private Attention.Shape[] shapes;        // of the last pass, per layer (layers may differ in their window)
    private ForwardOutput lastTrainingPass;  // what backward may follow
    private double routerAuxLossCoef;        // moe_aux_loss_coef: 0 without the router aux loss
    private RouterStatistics routerStatistics;  // the aux loss of the current training pass (MoE models with a coef)
    private long steps;

    CausalLM(ModelConfig config, ModelFamily family, Kernels kernels, Options options, ModelWeights base,
             Map<String, Param> baseParams, ParameterSet store) {
        this.config = config;
        this.family = family;
        this.dims = Dims.of(config, family);
        this.kernels = kernels;
        this.options = options;
        this.base = base;
        this.baseParams = Map.copyOf(baseParams);
        this.store = store;
        this.invFreq = Rope.inverseFrequencies(config.rope(), config.rotaryDim(), false);
        this.invFreqLong = config.rope().isLongRope() ? Rope.inverseFrequencies(config.rope(), config.rotaryDim(), true) : null;
        this.invFreqLocal = config.localRope() == null ? null : Rope.inverseFrequencies(config.localRope(), config.rotaryDim());
        this.lmHead = new LmHead(config.vocabSize(), config.hiddenSize(), dims.finalSoftcap());
    }

    public ModelConfig config() { return config; }

    public ModelFamily family() { return family; }

    public Options options() { return options; }

    /** The adapter this model trains (and uses when a pass names none), or null without LoRA. */
    public LoraAdapter adapter() { return trainingAdapter; }

    void setTrainingAdapter(LoraAdapter adapter) { trainingAdapter = adapter; }

    /**
     * Adds the router aux loss of a Mixture-of-Experts model to every training pass, as LLaMA-Factory
     * does with moe_aux_loss_coef (output_router_logits on, router_aux_loss_coef = coef): coef ·
     * load_balancing_loss over all sparse layers' routing, its gradient added in backward with weight
     * coef per pass, whatever the pass's gradient scale (as the HF Trainer adds it to each
     * micro-batch's loss). 0 turns it off; a dense model has no router and ignores it.
     */
    public void setRouterAuxLossCoef(double coef) {
        if (!(coef >= 0)) throw new JtuneException("moe_aux_loss_coef must be a non-negative number, was " + coef);
        routerAuxLossCoef = coef;
        routerStatistics = coef > 0 && config.moe() != null ? new RouterStatistics(config.moe().numExperts()) : null;
    }

    /** The coefficient {@link #setRouterAuxLossCoef} set (0: no router aux loss). */
    public double routerAuxLossCoef() { return routerStatistics == null ? 0 : routerAuxLossCoef; }

    /** The value head that trains with {@link #trainable()} (stage rm), or null. */
    public ValueHead valueHead() { return valueHead; }

    void setValueHead(ValueHead head) { valueHead = head; }

    /** What trains: the LoRA adapter's parameters, or the model's own (full and freeze tuning). */
    public ParameterSet trainable() {
        return trainingAdapter != null ? trainingAdapter.parameters() : store;
    }

    // Package-private views for InferenceSession and LoraAdapter.
    Dims dims() { return dims; }
    Kernels kernels() { return kernels; }

    /**
     * Fills the workspace's RoPE tables for n tokens at these positions. LongRoPE picks its long
     * factors when the largest position + 1 exceeds original_max_position_embeddings (transformers
     * decides per forward call the same way) and scales cos and sin by its attention factor.
     */
    void fillRopeTables(int[] positions, int n, Workspace w) {
        int maxPosition = -1;
        for (int i = 0; i < n; i++) maxPosition = Math.max(maxPosition, positions[i]);
        fillRopeTables(positions, n, w, maxPosition);
    }

    /**
     * The same, with LongRoPE's choice made for a forward call whose largest position is
     * {@code callMaxPosition} (a prompt prefilled in chunks is one call in transformers).
     */
    /**
     * Per-row tables for a batch of sequences, each row's LongRoPE factors chosen by the largest
     * position of its own sequence's call (transformers runs each sequence's generate alone).
     */
    void fillRopeTablesPerRow(int[] positions, int[] callMaxPositions, int n, Workspace w) {
        if (invFreqLong == null) {
            fillRopeTables(positions, n, w, -1);
            return;
        }
        int half = invFreq.length;
        int[] one = new int[1];
        float[] cos = new float[half], sin = new float[half];
        for (int t = 0; t < n; t++) {
            float[] inv = callMaxPositions[t] + 1 > config.rope().originalMaxPositionEmbeddings() ? invFreqLong : invFreq;
            one[0] = positions[t];
            Rope.table(inv, one, 1, cos, sin);
            Rope.scaleTable(cos, sin, half, (float) config.rope().attentionFactor());
            System.arraycopy(cos, 0, w.cos, t * half, half);
            System.arraycopy(sin, 0, w.sin, t * half, half);
        }
        if (invFreqLocal != null) Rope.table(invFreqLocal, positions, n, w.cosLocal, w.sinLocal);
    }

    void fillRopeTables(int[] positions, int n, Workspace w, int callMaxPosition) {
        float[] inv = invFreq;
        if (invFreqLong != null && callMaxPosition + 1 > config.rope().originalMaxPositionEmbeddings()) inv = invFreqLong;
        Rope.table(inv, positions, n, w.cos, w.sin);
        Rope.scaleTable(w.cos, w.sin, n * inv.length, (float) config.rope().attentionFactor());
        if (invFreqLocal != null) Rope.table(invFreqLocal, positions, n, w.cosLocal, w.sinLocal);
    }
    ModelWeights baseWeights() { return base; }
    Param baseParam(String hfName) { return baseParams.get(hfName); }

    /** The weights a pass with this adapter (null: the base) runs with. */
    ModelWeights weights(LoraAdapter adapter) {
        if (adapter == null) return base;
        if (adapter.base() != this) throw new JtuneException("adapter '" + adapter.name() + "' was loaded over another model");
        return adapter.weights();
    }

    /**
     * The current value of a checkpoint tensor by HF name, as fp32 [rows·cols], with the training
     * adapter merged in (LoRA: W + scale·B·A; DoRA: that rescaled per row; PiSSA: over its residual) where it adapts the tensor: what a merged export
     * writes. For a tied model "lm_head.weight" is not a tensor of its own; ask for the embedding's weight.
     */
    public float[] mergedWeight(String hfName) {
        return mergedWeight(hfName, trainingAdapter);
    }

    /** The base's matrix of a checkpoint tensor by HF name, in its storage (mapped, or quantized), or null. */
    public Matrix baseMatrix(String hfName) {
        Param p = baseParams.get(hfName);
        return p == null ? null : p.matrix;
    }

    /** {@link #mergedWeight(String)} with the given adapter merged (null: the base weights). */
    public float[] mergedWeight(String hfName, LoraAdapter adapter) {
        ModelWeights w = weights(adapter);
        Param p = null;
        LinearModule owner = null;
        List<Param> candidates = new java.util.ArrayList<>(Arrays.asList(w.embed, w.positionEmbed, w.embedNorm, w.embedNormBias,
                w.finalNorm, w.finalNormBias, w.lmHead));
        for (DecoderLayer layer : w.layers) {
            candidates.addAll(Arrays.asList(layer.inputNorm, layer.inputNormBias, layer.postNorm, layer.postNormBias,
                    layer.qNorm, layer.kNorm, layer.attnOutNorm, layer.mlpOutNorm));
            for (LinearModule m : layer.modules) {
                if (isNamed(m.weight, hfName)) owner = m;
                candidates.add(m.weight);
                candidates.add(m.bias);
            }
        }
        for (Param c : candidates) if (c != null && isNamed(c, hfName)) p = c;
        boolean tiedHead = config.tieWordEmbeddings() && hfName.equals("lm_head.weight");
        if (p == null || tiedHead) {
            throw new JtuneException("tensor " + hfName + " is not a weight of this " + config.modelType() + " model");
        }
        float[] out = new float[p.size()];
        for (int r = 0; r < p.matrix.rows(); r++) p.matrix.readRow(r, 0, p.matrix.cols(), out, r * p.matrix.cols());
        if (owner != null && owner.adapter != null) owner.adapter.mergeInto(out, owner.out(), owner.in());
        return out;
    }

    /** Whether p holds the checkpoint tensor hfName (an adapter's trained copies carry PEFT's prefix). */
    private static boolean isNamed(Param p, String hfName) {
        return p.name.equals(hfName) || p.name.equals("base_model.model." + hfName);
    }

    /** Sets the step counter that seeds dropout masks (tests replay a step; a resumed run restores it). */
    public void setStep(long step) { steps = step; }

    /** Training passes run so far: seeds the next dropout mask (saved in checkpoints). */
    public long stepCounter() { return steps; }

    /** The trainable tensors in the order of {@link #parameterValues()}, with their saved names. */
    public List<TrainableParameter> trainableParameters() { return trainable().describe(); }

    /** All trainable values, fp32, one flat array (optimizers update it in place). */
    public float[] parameterValues() { return trainable().values(); }

    /** The gradients, same layout as {@link #parameterValues()}. */
    public float[] gradients() { return trainable().gradients(); }

    public long trainableParameterCount() { return trainable().count(); }

    /** Overwrites a trainable tensor by its saved name, widening to fp32 (see {@link ParameterSet#set}). */
    public void setParameter(String name, Matrix value) { trainable().set(name, value); }

    public void zeroGrad() { trainable().zeroGrad(); }

    public void scaleGradients(float s) { trainable().scaleGradients(s); }

    public double gradientNorm() { return trainable().gradientNorm(); }

    public double clipGradientNorm(double maxNorm) { return trainable().clipGradientNorm(maxNorm); }

    // ---- The objective-facing passes ----

    /**
     * Runs the model on a batch with the given adapter (null: the base weights). A training pass
     * (dropout on, activations kept for {@link #backward}) advances the step counter that seeds the
     * dropout masks; an evaluation pass does neither.
     *
     * @param hiddenPositions flat token indices whose final hidden state the output should carry, or null
     */
    public ForwardOutput forward(Batch batch, LoraAdapter adapter, boolean training, int[] hiddenPositions) {
        return forward(batch, adapter, training, hiddenPositions, 1f);
    }

    /**
     * {@link #forward(Batch, LoraAdapter, boolean, int[])} with each label's log-probability taken from
     * the logits divided by {@code temperature} (log softmax(z / T), TRL's log-probabilities of the
     * sampling distribution in its GRPO and PPO trainers); a following {@link #backward} differentiates
     * the same function. Temperature 1 is the plain pass, bit for bit.
     */
    public ForwardOutput forward(Batch batch, LoraAdapter adapter, boolean training, int[] hiddenPositions, float temperature) {
        requireLabels(batch);
        ModelWeights w = weights(adapter);
        long seed = training ? nextSeed() : -1;
        int n = batch.tokens();
        prepare(batch, w);
        RouterStatistics statistics = collectRouting(batch, training);
        forwardLayers(batch, w, n, seed);
        int[] targets = batch.shiftedTargets();
        double[] logProbs = new double[n];
        lmHead.run(finalHidden, targets, n, w.lmHead.matrix, temperature, logProbs, null, null, null, 0);
        ForwardOutput out = new ForwardOutput(batch, targets, logProbs, hiddenPositions,
                gatherHidden(hiddenPositions, n), w, seed, temperature);
        out.routerAuxLoss = routerAuxLoss(statistics);
        lastTrainingPass = training ? out : null;
        return out;
    }

    /** A forward pass with the adapter this model trains. */
    public ForwardOutput forward(Batch batch, boolean training) {
        return forward(batch, trainingAdapter, training, null);
    }

    /**
     * The backward pass of the last training {@link #forward}: ADDS to the trainable gradients the
     * gradient of a loss whose gradient with respect to each token's log-probability is
     * dLogProbs[t] (ignored where there is no label) and, when non-null, with respect to the hidden
     * states the pass gathered is dHidden [positions x hidden]. The LM head's logits are recomputed
     * chunk by chunk, as they were never kept, and divided by the forward pass's temperature again.
     */
    public void backward(ForwardOutput out, float[] dLogProbs, float[] dHidden) {
        if (out != lastTrainingPass) {
            throw new IllegalStateException("backward must follow the training forward pass it differentiates, with no pass between");
        }
        lastTrainingPass = null;
        int n = out.batch.tokens();
        float[] weights = new float[n];
        // ∂loss/∂logit = −∂loss/∂log p · (onehot − softmax(z/T))/T: these weights, the head applies the rest
        for (int t = 0; t < n; t++) weights[t] = -dLogProbs[t];
        Arrays.fill(this.dHidden, 0, n * dims.hidden(), 0f);
        ModelWeights w = out.weights;
        lmHead.run(finalHidden, out.targets, n, w.lmHead.matrix, out.temperature, null, weights, this.dHidden, w.lmHead.grad,
                w.lmHead.gradOffset);
        if (dHidden != null) scatterHiddenGradient(out.hiddenPositions, dHidden);
        backwardLayers(out.batch, w, n, out.seed);
    }

    /**
     * Forward and backward in one pass for a loss Σ_t tokenWeights[t]·(−log p_t) whose weights do
     * not depend on the pass (cross-entropy, weighted SFT): ADDS its gradient to the trainable
     * gradients and returns the pass's output (its log-probabilities give the loss).
     */
    public ForwardOutput forwardBackward(Batch batch, LoraAdapter adapter, float[] tokenWeights) {
        return forwardBackward(batch, adapter, tokenWeights, 1f);
    }

    /** The same, the log-probabilities taken from the logits divided by {@code temperature} (see {@link #forward(Batch, LoraAdapter, boolean, int[], float)}). */
    public ForwardOutput forwardBackward(Batch batch, LoraAdapter adapter, float[] tokenWeights, float temperature) {
        requireLabels(batch);
        ModelWeights w = weights(adapter);
        long seed = nextSeed();
        int n = batch.tokens();
        prepare(batch, w);
        RouterStatistics statistics = collectRouting(batch, true);
        forwardLayers(batch, w, n, seed);
        double aux = routerAuxLoss(statistics);
        int[] targets = batch.shiftedTargets();
        double[] logProbs = new double[n];
        Arrays.fill(dHidden, 0, n * dims.hidden(), 0f);
        lmHead.run(finalHidden, targets, n, w.lmHead.matrix, temperature, logProbs, tokenWeights, dHidden, w.lmHead.grad,
                w.lmHead.gradOffset);
        backwardLayers(batch, w, n, seed);
        lastTrainingPass = null;
        ForwardOutput out = new ForwardOutput(batch, targets, logProbs, null, null, w, seed, temperature);
        out.routerAuxLoss = aux;
        return out;
    }

    /**
     * The mean of the LM head's rows in the view of {@code adapter} (null: the base): the mean logit
     * at a position is its final hidden state dotted with this, so an objective can report mean
     * logits (DPO's logits/chosen) from hidden states without the logits ever being kept. With a
     * final-logit soft-cap (Gemma 2) it gives the mean of the logits before capping.
     */
    public double[] lmHeadRowMean(LoraAdapter adapter) {
        Matrix head = weights(adapter).lmHead.matrix;
        int rows = head.rows(), cols = head.cols();
        double[] mean = new double[cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            head.readRow(r, 0, cols, row, 0);
            for (int c = 0; c < cols; c++) mean[c] += row[c];
        }
        for (int c = 0; c < cols; c++) mean[c] /= rows;
        return mean;
    }

    // ---- Cross-entropy conveniences (the uniform-weight case of the passes above) ----

    /**
     * Runs forward and backward on one batch and ADDS the gradients of gradScale·(summed loss) to
     * {@link #gradients()}. Returns the summed loss and the number of label tokens (HF shift: position
     * t predicts labels[t+1]; -100 ignored). Pass gradScale = 1 / (label tokens of the whole
     * accumulated batch) to get HF Trainer's mean-over-tokens gradients.
     */
    public StepLoss forwardBackward(Batch batch, float gradScale) {
        float[] weights = new float[batch.tokens()];
        Arrays.fill(weights, gradScale);
        return StepLoss.of(forwardBackward(batch, trainingAdapter, weights));
    }

    /**
     * The loss forwardBackward would report, without the backward pass: training-mode forward
     * (dropout on, same masks as the next forwardBackward step). Finite-difference tests use it.
     */
    StepLoss trainingLoss(Batch batch) {
        StepLoss loss = StepLoss.of(forward(batch, trainingAdapter, true, null));
        lastTrainingPass = null;
        return loss;
    }

    /** The summed loss without gradients (evaluation). */
    public StepLoss evaluate(Batch batch) {
        return StepLoss.of(forward(batch, trainingAdapter, false, null));
    }

    // ---- Logits for generation and evaluation ----

    /** The logits [tokens x vocab] of every position (for evaluation and generation). */
    public float[] forwardLogits(Batch batch) {
        ModelWeights w = weights(trainingAdapter);
        int n = batch.tokens();
        prepare(batch, w);
        forwardLayers(batch, w, n, -1);
        float[] logits = new float[n * dims.vocab()];
        Gemm.matmulTransB(finalHidden, 0, w.lmHead.matrix, logits, 0, n, false);
        lmHead.capLogits(logits, 0, n);
        return logits;
    }

    /**
     * The logits [batch x vocab] of each row's last position only: what generation samples from,
     * at a fraction of {@link #forwardLogits}'s lm_head cost.
     */
    public float[] lastPositionLogits(Batch batch) {
        ModelWeights w = weights(trainingAdapter);
        int n = batch.tokens(), hidden = dims.hidden();
        prepare(batch, w);
        forwardLayers(batch, w, n, -1);
        float[] last = new float[batch.batchSize() * hidden];
        for (int b = 0; b < batch.batchSize(); b++) {
            System.arraycopy(finalHidden, ((b + 1) * batch.seqLen() - 1) * hidden, last, b * hidden, hidden);
        }
        float[] logits = new float[batch.batchSize() * dims.vocab()];
        Gemm.matmulTransB(last, 0, w.lmHead.matrix, logits, 0, batch.batchSize(), false);
        lmHead.capLogits(logits, 0, batch.batchSize());
        return logits;
    }

    // ---- Internals ----

    /**
     * Points every layer's MoE activations at the statistics this pass collects: the router aux
     * loss's, on a training pass when it is on (padding, segment id 0, left out), otherwise none.
     */
    private RouterStatistics collectRouting(Batch batch, boolean training) {
        RouterStatistics statistics = training ? routerStatistics : null;
        if (statistics != null) {
            statistics.clear();
            statistics.gradient = null;
            int n = batch.tokens();
            if (statistics.mask == null || statistics.mask.length != n) statistics.mask = new boolean[n];
            for (int t = 0; t < n; t++) statistics.mask[t] = batch.segmentIds() == null || batch.segmentIds()[t] != 0;
        }
        for (LayerActivations a : activations) if (a.moe != null) a.moe.statistics = statistics;
        return statistics;
    }

    /** The aux loss (unscaled) of a completed forward, and its gradient at the router probabilities for backward; 0 without. */
    private double routerAuxLoss(RouterStatistics statistics) {
        if (statistics == null) return 0;
        statistics.gradient = statistics.probabilityGradient(routerAuxLossCoef);
        return statistics.loss();
    }

    private long nextSeed() {
        return (options.seed() * 1_000_003L + steps++) & Long.MAX_VALUE;
    }

    private static void requireLabels(Batch batch) {
        if (batch.labels() == null) throw new IllegalArgumentException("this batch has no labels");
    }

    private float[] gatherHidden(int[] positions, int n) {
        if (positions == null) return null;
        int hidden = dims.hidden();
        float[] out = new float[positions.length * hidden];
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0 || positions[i] >= n) throw new IllegalArgumentException("hidden position " + positions[i] + " is outside the batch");
            System.arraycopy(finalHidden, positions[i] * hidden, out, i * hidden, hidden);
        }
        return out;
    }

    private void scatterHiddenGradient(int[] positions, float[] dPositions) {
        if (positions == null) throw new IllegalArgumentException("the forward pass gathered no hidden states to differentiate");
        int hidden = dims.hidden();
        for (int i = 0; i < positions.length; i++) VectorMath.add(dPositions, i * hidden, dHidden, positions[i] * hidden, hidden);
    }

    /** From dHidden (the gradient at the final norm's output) down through the trained layers. */
    private void backwardLayers(Batch batch, ModelWeights w, int n, long seed) {
        if (!w.trainsBelowHead()) return;
        DecoderLayer[] layers = w.layers;
        Arrays.fill(dResidual, 0, n * dims.hidden(), 0f);
        Norms.backward(kernels, dims, dHidden, layerInputs[layers.length], w.finalNorm, w.finalNormBias, finalRstd, dResidual,
                n, dims.hidden());
        for (int l = layers.length - 1; l >= w.lowestTrainedLayer; l--) {
            LayerActivations a = activationsOf(l);
            // The last layer's forward was the last to fill the shared activations: nothing to recompute.
            if (options.gradientCheckpointing() && l < layers.length - 1) {
                layers[l].recompute(kernels, dims, n, layerInputs[l], a, workspace, seed);
            }
            boolean needInputGrad = l > w.lowestTrainedLayer || w.embedsTrain();
            layers[l].backward(kernels, dims, shapes[l], n, layerInputs[l], dResidual, needInputGrad, a, workspace, seed);
        }
        if (w.embedsTrain()) {
            float[] dRaw = embedRaw == null ? null : dHidden;   // dHidden is spent by now: scratch for the norm's backward
            InputEmbedding.backward(kernels, dims, w, batch.inputIds(), batch.positionIds(), dResidual, n, embedRaw, embedRstd, dRaw);
        }
    }

    private LayerActivations activationsOf(int layer) {
        if (!options.gradientCheckpointing()) return activations[layer];
        LayerActivations shared = activations[0];
        shared.mid = layerMids[layer];
        shared.att = layerAtts[layer];
        shared.lse = layerLses[layer];
        return shared;
    }

    /** Plans buffers for the batch and view (growing them if needed) and fills the RoPE tables. */
    private void prepare(Batch batch, ModelWeights w) {
        int n = batch.tokens();
        // A view without adapter parts (the base: a DPO reference pass) fits any plan; another adapter needs its own.
        if (n > capacity || (w != plannedFor && w.maxKept > 0)) {
            // A base pass (the reference before the policy) plans for the training adapter's view
            // right away, so the policy pass that follows does not plan again while the first plan is still on the heap.
            ModelWeights plan = w.maxKept == 0 && trainingAdapter != null ? weights(trainingAdapter) : w;
            allocate(Math.max(n, capacity), plan);
        }
        lastTrainingPass = null;
        collectRouting(batch, false);   // a pass collects router statistics only when it asks for them
        fillRopeTables(batch.positionIds(), n, workspace);
        shapes = new Attention.Shape[dims.windows().length];
        for (int l = 0; l < shapes.length; l++) {
            boolean sameAsPrevious = l > 0 && dims.slidingWindow(l) == dims.slidingWindow(l - 1);
            shapes[l] = sameAsPrevious ? shapes[l - 1] : new Attention.Shape(batch.batchSize(), batch.seqLen(), dims.heads(),
                    dims.kvHeads(), dims.headDim(), batch.segmentIds(), dims.slidingWindow(l), dims.attentionScale(), dims.attnSoftcap(),
                    dims.alibiSlopes());
        }
    }

    private void allocate(int n, ModelWeights w) {
        // Drop the old plan first so that old and new never need to fit in memory together.
        layerInputs = null;
        layerMids = null;
        layerAtts = null;
        layerLses = null;
        activations = null;
        workspace = null;
        DecoderLayer[] layers = w.layers;
        int hidden = dims.hidden();
        layerInputs = new float[layers.length + 1][n * hidden];
        if (options.gradientCheckpointing()) {
            layerMids = new float[layers.length][n * hidden];
            layerAtts = new float[layers.length][n * dims.qDim()];
            layerLses = new float[layers.length][n * dims.heads()];
        }
        activations = new LayerActivations[options.gradientCheckpointing() ? 1 : layers.length];
        if (options.gradientCheckpointing()) {
            List<LinearModule> all = new java.util.ArrayList<>();
            for (DecoderLayer layer : layers) all.addAll(List.of(layer.modules));
            activations[0] = new LayerActivations(dims, n, all, false);
        } else {
            for (int i = 0; i < layers.length; i++) activations[i] = new LayerActivations(dims, n, List.of(layers[i].modules), true);
        }
        workspace = new Workspace(dims, n, w.maxKept, w.maxDropoutInput);
        finalHidden = new float[n * hidden];
        finalRstd = new float[n];
        embedRaw = dims.embeddingNorm() ? new float[n * hidden] : null;
        embedRstd = dims.embeddingNorm() ? new float[n] : null;
        dHidden = new float[n * hidden];
        dResidual = new float[n * hidden];
        capacity = n;
        plannedFor = w;
    }

    private void forwardLayers(Batch batch, ModelWeights w, int n, long seed) {
        InputEmbedding.forward(kernels, dims, w, batch.inputIds(), batch.positionIds(), layerInputs[0], n, embedRaw, embedRstd);
        Attention.Shape[] s = shapes;
        AttentionContext withinBatch = (layer, q, k, v, out, lse, rows) -> kernels.attentionForward(q, k, v, out, lse, s[layer]);
        for (int l = 0; l < w.layers.length; l++) {
            w.layers[l].forward(kernels, dims, withinBatch, n, layerInputs[l], layerInputs[l + 1], activationsOf(l), workspace, seed);
        }
        Norms.forward(kernels, dims, layerInputs[w.layers.length], w.finalNorm, w.finalNormBias, finalHidden, finalRstd,
                n, dims.hidden());
    }
}
