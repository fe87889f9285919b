package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.TrainingArguments;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.arch.ModelConfig;

/**
 * Estimates the Java heap a training run needs before any weight is loaded, and stops with advice
 * when it exceeds what the JVM may use. Frozen weights are memory-mapped (outside the heap); the
 * heap holds the trainable parameters with their gradients and AdamW moments (16 bytes each), the
 * activations kept for backward, and the logits of one vocabulary chunk.
 */
final class MemoryEstimate {
    private MemoryEstimate() {}

    static long trainableParameters(ModelConfig c, FinetuneSpec spec) {
        long h = c.hiddenSize(), i = c.intermediateSize(), q = c.qDim(), kv = c.kvDim(), layers = c.numHiddenLayers();
        long perLayerLinear = h * q + 2 * h * kv + q * h + 3 * h * i;
        long embed = (long) c.vocabSize() * h;
        return switch (spec.type()) {
            case FULL -> layers * (perLayerLinear + 2 * h) + embed * (c.tieWordEmbeddings() ? 1 : 2) + h;
            case FREEZE -> (long) Math.abs(spec.freeze().trainableLayers()) * (perLayerLinear + 2 * h);
            case LORA -> {
                long r = spec.lora().rank();
                long perLayer = r * ((h + q) + 2 * (h + kv) + (q + h) + 2 * (h + i) + (i + h));
                yield layers * perLayer;
            }
        };
    }

    static long activationBytes(ModelConfig c, int batchTokens, boolean checkpointing) {
        long h = c.hiddenSize(), i = c.intermediateSize(), q = c.qDim(), kv = c.kvDim();
        // Per token and layer: norms, q/k/v, attention output, gate/up/act, residuals (fp32).
        long perTokenLayer = 4 * (4 * h + q + 2 * kv + q + 3 * i);
        long layersKept = checkpointing ? 1 : c.numHiddenLayers();
        long residuals = 4L * h * (c.numHiddenLayers() + 1);
        return (long) batchTokens * (perTokenLayer * layersKept + residuals);
    }

    static void check(ModelConfig c, FinetuneSpec spec, TrainingArguments args, int cutoffLen, boolean checkpointing) {
        long trainable = trainableParameters(c, spec);
        int tokens = args.perDeviceTrainBatchSize() * cutoffLen;
        long need = 16 * trainable + activationBytes(c, tokens, checkpointing) + 64L * 1024 * 1024;
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
