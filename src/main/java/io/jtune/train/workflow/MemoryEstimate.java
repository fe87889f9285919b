package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.TrainingArguments;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.WeightQuantization;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import java.util.List;

/**
 * Estimates the Java heap a training run needs before any weight is loaded, and stops with advice
 * when it exceeds what the JVM may use. Frozen weights are memory-mapped (outside the heap); the
 * heap holds the trainable parameters with their gradients and AdamW moments (16 bytes each), the
 * activations kept for backward, the logits of one vocabulary chunk, and quantized base weights
 * (quantization_bit, or a bitsandbytes 4-bit checkpoint) at their quantized size.
 */
final class MemoryEstimate {
    private MemoryEstimate() {}

    /**
     * The parameters that train, counted from the tensors the family declares: every tensor of the
     * checkpoint (full), those of the trainable layers (freeze), or the LoRA factors of every linear
     * module of every layer, r x (in + out) each (lora). A Mixture-of-Experts model counts all its
     * experts (total parameters): every expert trains, whichever tokens reach it.
     */
    static long trainableParameters(ModelConfig c, FinetuneSpec spec) {
        ModelFamily family = Families.of(c);
        return switch (spec.type()) {
            case FULL -> elements(family.checkpointTensors(c));
            case FREEZE -> Math.abs(spec.freeze().trainableLayers()) * elements(family.layerTensors(c, c.numHiddenLayers() - 1));
            case LORA -> {
                long all = 0;
                for (ModelTensor w : family.allLayerLinearWeights(c)) all += (long) spec.lora().rank() * (w.rows() + w.cols());
                yield all;
            }
        };
    }

    private static long elements(List<ModelTensor> tensors) {
        long n = 0;
        for (ModelTensor t : tensors) n += t.elements();
        return n;
    }

    static long activationBytes(ModelConfig c, int batchTokens, boolean checkpointing) {
        long h = c.hiddenSize(), i = c.intermediateSize(), q = c.qDim(), kv = c.kvDim();
        // Per token and layer: norms, q/k/v, attention output, gate/up/act, residuals (fp32);
        // Gemma 2/3 also keep o_proj's and down_proj's outputs for their output norms.
        boolean outputNorms = Families.of(c).has(io.jtune.model.arch.ModuleRole.ATTENTION_OUTPUT_NORM, c);
        long perTokenLayer = 4 * (4 * h + q + 2 * kv + q + mlpFloatsPerToken(c) + (outputNorms ? 2 * h : 0));
        long layersKept = checkpointing ? 1 : c.numHiddenLayers();
        long residuals = 4L * h * (c.numHiddenLayers() + 1);
        return (long) batchTokens * (perTokenLayer * layersKept + residuals);
    }

    /**
     * The MLP's floats kept per token and layer: gate, up and their product for a dense MLP; for a
     * sparse MoE block, the router's logits and probabilities and, per chosen expert (top_k of
     * them), its gathered input, gate, up and output, plus a shared expert's (the widest layer counts).
     */
    private static long mlpFloatsPerToken(ModelConfig c) {
        long dense = 3L * c.intermediateSize();
        io.jtune.model.arch.MoeConfig moe = c.moe();
        if (moe == null) return dense;
        long h = c.hiddenSize(), w = moe.expertIntermediateSize(), s = moe.sharedExpertIntermediateSize();
        long sparse = 2L * moe.numExperts() + moe.topK() * (2 * h + 2 * w) + (s > 0 ? 2 * s + h + 1 : 0);
        return moe.sparseLayers(c.numHiddenLayers()) < c.numHiddenLayers() ? Math.max(dense, sparse) : sparse;
    }

    /**
     * What the adapter methods add: DoRA keeps each adapted module's output-sized direction per token
     * (and trains a magnitude per output row); PiSSA holds the residual of every adapted weight on the
     * heap, in the checkpoint's dtype. Counted as if every linear module were adapted.
     */
    static long adapterMethodBytes(ModelConfig c, FinetuneSpec spec, int batchTokens, boolean checkpointing) {
        if (spec.type() != FinetuneSpec.Type.LORA) return 0;
        long bytes = 0, outputs = 0, weights = 0;
        for (ModelTensor w : Families.of(c).allLayerLinearWeights(c)) {   // per layer below: the layers' average
            outputs += (long) Math.ceil(ModelFamily.activeShare(w, c) * w.rows());
            weights += w.elements();
        }
        outputs = outputs / c.numHiddenLayers();
        weights = weights / c.numHiddenLayers();
        if (spec.lora().useDora()) {
            long layersKept = checkpointing ? 1 : c.numHiddenLayers();
            bytes += 4L * batchTokens * outputs * layersKept + 16L * outputs * c.numHiddenLayers();
        }
        if (spec.lora().pissa() != null) {
            int width = c.dtype() == io.jtune.tensor.DType.BF16 || c.dtype() == io.jtune.tensor.DType.F16 ? 2 : 4;
            bytes += width * weights * c.numHiddenLayers();
        }
        return bytes;
    }

    /** Heap bytes of the decoder linear weights when they are quantized (0 when they stay mapped). */
    static long quantizedWeightBytes(ModelConfig c, WeightQuantization quantization) {
        return quantization == null ? 0 : quantization.layerWeightBytes(Families.of(c), c);
    }

    static void check(ModelConfig c, FinetuneSpec spec, TrainingArguments args, int cutoffLen, boolean checkpointing,
                      WeightQuantization quantization) {
        long trainable = trainableParameters(c, spec);
        int tokens = args.perDeviceTrainBatchSize() * cutoffLen;
        long need = 16 * trainable + activationBytes(c, tokens, checkpointing) + adapterMethodBytes(c, spec, tokens, checkpointing)
                + quantizedWeightBytes(c, quantization)
                + 64L * 1024 * 1024;
        long have = Runtime.getRuntime().maxMemory();
        if (need > have) {
            throw new JtuneException(String.format("this run needs about %.1f GiB of Java heap, the JVM may use %.1f GiB."
                    + " Lower per_device_train_batch_size (%d) or cutoff_len (%d)%s%s, or give the JVM more memory"
                    + " (JTUNE_JAVA_OPTS=-Xmx...).", need / 1073741824.0, have / 1073741824.0, args.perDeviceTrainBatchSize(), cutoffLen,
                    checkpointing ? "" : ", turn gradient_checkpointing on",
                    spec.type() == FinetuneSpec.Type.LORA ? ", lower lora_rank" : ", or use finetuning_type: lora"));
        }
    }
}
