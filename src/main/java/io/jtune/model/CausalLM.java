package io.jtune.model;

import io.jtune.nn.Attention;
import io.jtune.nn.Kernels;
import io.jtune.nn.LmHeadCrossEntropy;
import io.jtune.nn.ParallelTasks;
import io.jtune.nn.Rope;
import io.jtune.nn.VectorMath;
import io.jtune.tensor.Gemm;
import java.util.Arrays;
import java.util.List;

/**
 * A decoder-only Llama-family language model (llama, mistral, qwen2, qwen3) that trains: forward,
 * hand-derived backward and the trainable parameters, built by {@link ModelBuilder}.
 *
 * <p>Typical step, as HF's Trainer does it over gradient-accumulation micro-batches:
 * <pre>
 *   model.zeroGrad();
 *   for (Batch b : microBatches) model.forwardBackward(b, 1f / labelTokensOfAllMicroBatches);
 *   model.clipGradientNorm(1.0);
 *   optimizer.step(lr);   // over model.parameterValues() / model.gradients()
 * </pre>
 * Activations are planned for the largest batch seen and reused; a step allocates nothing big.
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
    private final Dims dims;
    private final Kernels kernels;
    private final Options options;
    private final Param embed, finalNorm, lmHead;
    private final DecoderLayer[] layers;
    private final ParameterStore store;
    private final float[] invFreq;
    private final LmHeadCrossEntropy lossHead;
    private final int lowestTrainedLayer;    // backward stops here; layers.length when none train

    private int capacity;                    // tokens the buffers below are planned for
    private float[][] layerInputs;           // [layers + 1][n x hidden]: residual stream between layers
    private float[][] layerMids;             // with checkpointing: each layer's residual after attention,
    private float[][] layerAtts, layerLses;  // and its attention output and logsumexp
    private LayerActivations[] activations;  // one per layer, or one shared with checkpointing
    private Workspace workspace;
    private float[] finalHidden, finalRstd, dHidden, dResidual;
    private long steps;

    CausalLM(ModelConfig config, Kernels kernels, Options options, Param embed, Param finalNorm, Param lmHead,
             DecoderLayer[] layers, ParameterStore store) {
        this.config = config;
        this.dims = Dims.of(config);
        this.kernels = kernels;
        this.options = options;
        this.embed = embed;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.layers = layers;
        this.store = store;
        this.invFreq = Rope.inverseFrequencies(config.rope(), config.headDim());
        this.lossHead = new LmHeadCrossEntropy(config.vocabSize(), config.hiddenSize());
        int lowest = layers.length;
        for (int l = layers.length - 1; l >= 0; l--) if (layers[l].hasTrainable()) lowest = l;
        this.lowestTrainedLayer = embed.trainable() ? 0 : lowest;
    }

    public ModelConfig config() { return config; }

    /**
     * The current value of a checkpoint tensor by HF name, as fp32 [rows·cols], with its LoRA update
     * merged in (W + scale·B·A) when the layer has an adapter: what a merged export writes. For a tied
     * model "lm_head.weight" is not a tensor of its own; ask for "model.embed_tokens.weight".
     */
    public float[] mergedWeight(String hfName) {
        Param p = null;
        LinearModule owner = null;
        List<Param> candidates = new java.util.ArrayList<>(List.of(embed, finalNorm, lmHead));
        for (DecoderLayer layer : layers) {
            candidates.addAll(java.util.Arrays.asList(layer.inputNorm, layer.postNorm, layer.qNorm, layer.kNorm));
            for (LinearModule m : layer.modules) {
                if (isNamed(m.weight, hfName)) owner = m;
                candidates.add(m.weight);
                candidates.add(m.bias);
            }
        }
        for (Param c : candidates) if (c != null && isNamed(c, hfName)) p = c;
        if (p == null || (p == lmHead && lmHead == embed && !hfName.equals(embed.name))) {
            throw new io.jtune.JtuneException("tensor " + hfName + " is not a weight of this " + config.modelType() + " model");
        }
        float[] out = new float[p.size()];
        for (int r = 0; r < p.matrix.rows(); r++) p.matrix.readRow(r, 0, p.matrix.cols(), out, r * p.matrix.cols());
        if (owner != null && owner.loraA != null) {
            // ΔW [out x in] = scale · B [out x r] · A [r x in]
            int rank = owner.rank(), in = owner.in();
            for (int o = 0; o < owner.out(); o++) {
                for (int k = 0; k < rank; k++) {
                    float b = owner.loraB.data[owner.loraB.offset + o * rank + k] * owner.loraScale;
                    VectorMath.axpy(b, owner.loraA.data, owner.loraA.offset + k * in, out, o * in, in);
                }
            }
        }
        return out;
    }

    /** Whether p holds the checkpoint tensor hfName (trainable copies in LoRA mode carry PEFT's prefix). */
    private static boolean isNamed(Param p, String hfName) {
        return p.name.equals(hfName) || p.name.equals("base_model.model." + hfName);
    }

    // Package-private views for InferenceSession, which runs the same weights with a KV cache.
    Dims dims() { return dims; }
    Kernels kernels() { return kernels; }
    Param embedding() { return embed; }
    Param finalNorm() { return finalNorm; }
    Param lmHead() { return lmHead; }
    DecoderLayer[] decoderLayers() { return layers; }
    float[] inverseFrequencies() { return invFreq; }

    /** Sets the step counter that seeds dropout masks (tests replay a step; a resumed run restores it). */
    public void setStep(long step) { steps = step; }

    /** Forward-backward passes run so far: seeds the next dropout mask (saved in checkpoints). */
    public long stepCounter() { return steps; }

    /** The trainable tensors in the order of {@link #parameterValues()}, with their saved names. */
    public List<TrainableParameter> trainableParameters() { return store.describe(); }

    /** All trainable values, fp32, one flat array (optimizers update it in place). */
    public float[] parameterValues() { return store.values(); }

    /** The gradients, same layout as {@link #parameterValues()}. */
    public float[] gradients() { return store.grads(); }

    public long trainableParameterCount() { return store.values().length; }

    /**
     * Overwrites a trainable tensor by its saved name (e.g. a PEFT adapter being resumed), widening
     * to fp32. A name that is not trainable here, or a shape that differs, is an error.
     */
    public void setParameter(String name, io.jtune.tensor.Matrix value) {
        for (Param p : store.params()) {
            if (!p.name.equals(name)) continue;
            if ((long) value.rows() * value.cols() != p.size() || (p.rows != 1 && value.rows() != p.rows)) {
                throw new io.jtune.JtuneException("tensor " + name + " has shape [" + value.rows() + " x " + value.cols()
                        + "] but the model's is [" + p.rows + " x " + p.cols + "]");
            }
            ParameterStore.copyFrom(value, p);
            return;
        }
        throw new io.jtune.JtuneException("tensor " + name + " is not a trainable parameter of this model (names look like "
                + (store.params().isEmpty() ? "none" : store.params().get(0).name) + ")");
    }

    /**
     * Runs forward and backward on one batch and ADDS the gradients of gradScale·(summed loss) to
     * {@link #gradients()}. Returns the summed loss and the number of label tokens (HF shift: position
     * t predicts labels[t+1]; -100 ignored). Pass gradScale = 1 / (label tokens of the whole
     * accumulated batch) to get HF Trainer's mean-over-tokens gradients.
     */
    public StepLoss forwardBackward(Batch batch, float gradScale) {
        requireLabels(batch);
        int n = batch.tokens();
        Attention.Shape shape = prepare(batch);
        long seed = (options.seed() * 1_000_003L + steps++) & Long.MAX_VALUE;
        forwardLayers(batch, shape, n, seed);
        int[] targets = batch.shiftedTargets();
        Arrays.fill(dHidden, 0, n * dims.hidden(), 0f);
        double loss = lossHead.forwardBackward(finalHidden, targets, n, lmHead.matrix, gradScale, dHidden,
                lmHead.grad, lmHead.gradOffset);
        if (lowestTrainedLayer < layers.length || finalNorm.trainable()) {
            Arrays.fill(dResidual, 0, n * dims.hidden(), 0f);
            kernels.rmsNormBackward(dHidden, layerInputs[layers.length], finalNorm.data, finalNorm.offset, finalRstd,
                    dResidual, finalNorm.grad, finalNorm.gradOffset, n, dims.hidden());
            for (int l = layers.length - 1; l >= lowestTrainedLayer; l--) {
                LayerActivations a = activationsOf(l);
                // The last layer's forward was the last to fill the shared activations: nothing to recompute.
                if (options.gradientCheckpointing() && l < layers.length - 1) {
                    layers[l].recompute(kernels, dims, shape, n, layerInputs[l], a, workspace, seed);
                }
                boolean needInputGrad = l > lowestTrainedLayer || embed.trainable();
                layers[l].backward(kernels, dims, shape, n, layerInputs[l], dResidual, needInputGrad, a, workspace, seed);
            }
            if (embed.trainable()) {
                kernels.embeddingBackward(batch.inputIds(), dResidual, embed.grad, embed.gradOffset, n, dims.hidden());
            }
        }
        return new StepLoss(loss, countLabels(targets));
    }

    /**
     * The loss forwardBackward would report, without the backward pass: training-mode forward
     * (dropout on, same masks as the next forwardBackward step). Finite-difference tests use it.
     */
    StepLoss trainingLoss(Batch batch) {
        requireLabels(batch);
        int n = batch.tokens();
        long seed = (options.seed() * 1_000_003L + steps++) & Long.MAX_VALUE;
        forwardLayers(batch, prepare(batch), n, seed);
        int[] targets = batch.shiftedTargets();
        double loss = lossHead.forwardBackward(finalHidden, targets, n, lmHead.matrix, 0f, null, null, 0);
        return new StepLoss(loss, countLabels(targets));
    }

    /** The summed loss without gradients (evaluation). */
    public StepLoss evaluate(Batch batch) {
        requireLabels(batch);
        int n = batch.tokens();
        forwardLayers(batch, prepare(batch), n, -1);
        int[] targets = batch.shiftedTargets();
        double loss = lossHead.forwardBackward(finalHidden, targets, n, lmHead.matrix, 0f, null, null, 0);
        return new StepLoss(loss, countLabels(targets));
    }

    /** The logits [tokens x vocab] of every position (for evaluation and generation). */
    public float[] forwardLogits(Batch batch) {
        int n = batch.tokens();
        forwardLayers(batch, prepare(batch), n, -1);
        float[] logits = new float[n * dims.vocab()];
        Gemm.matmulTransB(finalHidden, 0, lmHead.matrix, logits, 0, n, false);
        return logits;
    }

    /**
     * The logits [batch x vocab] of each row's last position only: what generation samples from,
     * at a fraction of {@link #forwardLogits}'s lm_head cost.
     */
    public float[] lastPositionLogits(Batch batch) {
        int n = batch.tokens(), hidden = dims.hidden();
        forwardLayers(batch, prepare(batch), n, -1);
        float[] last = new float[batch.batchSize() * hidden];
        for (int b = 0; b < batch.batchSize(); b++) {
            System.arraycopy(finalHidden, ((b + 1) * batch.seqLen() - 1) * hidden, last, b * hidden, hidden);
        }
        float[] logits = new float[batch.batchSize() * dims.vocab()];
        Gemm.matmulTransB(last, 0, lmHead.matrix, logits, 0, batch.batchSize(), false);
        return logits;
    }

    public void zeroGrad() {
        Arrays.fill(store.grads(), 0f);
    }

    /** Multiplies every gradient by s (e.g. to normalise after accumulation). */
    public void scaleGradients(float s) {
        float[] g = store.grads();
        int chunks = ParallelTasks.chunks(g.length, 1 << 16);
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) g.length * c / chunks), hi = (int) ((long) g.length * (c + 1) / chunks);
            VectorMath.scale(g, lo, hi - lo, s);
        });
    }

    /** The global L2 norm of all gradients, summed in a fixed order whatever the thread count. */
    public double gradientNorm() {
        float[] g = store.grads();
        int chunks = ParallelTasks.chunks(g.length, 1 << 16);
        double[] partial = new double[chunks];
        ParallelTasks.forEach(chunks, c -> {
            int lo = (int) ((long) g.length * c / chunks), hi = (int) ((long) g.length * (c + 1) / chunks);
            partial[c] = VectorMath.sumOfSquares(g, lo, hi - lo);
        });
        double sum = 0;
        for (double p : partial) sum += p;
        return Math.sqrt(sum);
    }

    /**
     * Scales the gradients so their norm is at most maxNorm, as torch's clip_grad_norm_ does
     * (coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the norm before clipping.
     */
    public double clipGradientNorm(double maxNorm) {
        double norm = gradientNorm();
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) scaleGradients((float) coefficient);
        return norm;
    }

    private static void requireLabels(Batch batch) {
        if (batch.labels() == null) throw new IllegalArgumentException("this batch has no labels");
    }

    private static int countLabels(int[] targets) {
        int count = 0;
        for (int t : targets) if (t != LmHeadCrossEntropy.IGNORE_INDEX) count++;
        return count;
    }

    private LayerActivations activationsOf(int layer) {
        if (!options.gradientCheckpointing()) return activations[layer];
        LayerActivations shared = activations[0];
        shared.mid = layerMids[layer];
        shared.att = layerAtts[layer];
        shared.lse = layerLses[layer];
        return shared;
    }

    /** Plans buffers for the batch (growing them if needed) and fills the RoPE tables. */
    private Attention.Shape prepare(Batch batch) {
        int n = batch.tokens();
        if (n > capacity) allocate(n);
        Rope.table(invFreq, batch.positionIds(), n, workspace.cos, workspace.sin);
        return new Attention.Shape(batch.batchSize(), batch.seqLen(), dims.heads(), dims.kvHeads(), dims.headDim(),
                batch.segmentIds(), dims.slidingWindow());
    }

    private void allocate(int n) {
        // Drop the old plan first so that old and new never need to fit in memory together.
        layerInputs = null;
        layerMids = null;
        layerAtts = null;
        layerLses = null;
        activations = null;
        workspace = null;
        int hidden = dims.hidden();
        layerInputs = new float[layers.length + 1][n * hidden];
        if (options.gradientCheckpointing()) {
            layerMids = new float[layers.length][n * hidden];
            layerAtts = new float[layers.length][n * dims.qDim()];
            layerLses = new float[layers.length][n * dims.heads()];
        }
        activations = new LayerActivations[options.gradientCheckpointing() ? 1 : layers.length];
        int maxRank = 0, maxDropoutInput = 0;
        for (DecoderLayer layer : layers) {
            for (LinearModule m : layer.modules) {
                maxRank = Math.max(maxRank, m.rank());
                if (m.hasDropout()) maxDropoutInput = Math.max(maxDropoutInput, m.in());
            }
        }
        if (options.gradientCheckpointing()) {
            List<LinearModule> all = new java.util.ArrayList<>();
            for (DecoderLayer layer : layers) all.addAll(List.of(layer.modules));
            activations[0] = new LayerActivations(dims, n, all, false);
        } else {
            for (int i = 0; i < layers.length; i++) activations[i] = new LayerActivations(dims, n, List.of(layers[i].modules), true);
        }
        workspace = new Workspace(dims, n, maxRank, maxDropoutInput);
        finalHidden = new float[n * hidden];
        finalRstd = new float[n];
        dHidden = new float[n * hidden];
        dResidual = new float[n * hidden];
        capacity = n;
    }

    private void forwardLayers(Batch batch, Attention.Shape shape, int n, long seed) {
        kernels.embeddingForward(embed.matrix, batch.inputIds(), layerInputs[0], n);
        for (int l = 0; l < layers.length; l++) {
            layers[l].forward(kernels, dims, shape, n, layerInputs[l], layerInputs[l + 1], activationsOf(l), workspace, seed);
        }
        kernels.rmsNormForward(layerInputs[layers.length], finalNorm.data, finalNorm.offset, finalHidden, finalRstd,
                n, dims.hidden(), dims.eps());
    }
}
