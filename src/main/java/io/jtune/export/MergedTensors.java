package io.jtune.export;

import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.LoraAdapter;
import io.jtune.model.TrainableParameter;
import io.jtune.model.WeightQuantization;
import io.jtune.model.WeightSource;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The tensors of an exported model, in one dtype: a tensor the adapter changes (a LoRA layer's
 * weight, W + scale·B·A, rescaled per row with DoRA, over the residual with PiSSA, or a fully trained
 * modules_to_save tensor) is computed from the model
 * when it is written and dropped right after; every other tensor is copied from the base's mapped
 * file, as bytes when it already has the dtype. So the export holds at most one merged tensor in
 * memory besides the base's mapping.
 */
final class MergedTensors {
    private static final String PEFT_PREFIX = "base_model.model.";

    private MergedTensors() {}

    /** The HF names of the tensors the adapter changes. */
    static Set<String> changedByAdapter(LoraAdapter adapter) {
        Set<String> changed = new HashSet<>();
        for (TrainableParameter p : adapter.parameters().describe()) {
            String n = p.name().startsWith(PEFT_PREFIX) ? p.name().substring(PEFT_PREFIX.length()) : p.name();
            int lora = n.indexOf(".lora_A.");
            if (lora > 0) {
                changed.add(n.substring(0, lora) + ".weight");
            } else if (!n.contains(".lora_B.") && !n.endsWith(".lora_magnitude_vector")) {   // DoRA's magnitude merges with A and B
                changed.add(n);
            }
        }
        return changed;
    }

    /**
     * @param merged    the adapter to merge into the base, or null to copy the base as it is
     * @param dtype     the dtype every tensor is written in
     * @param quantized the base's weights when they are quantized (quantization_bit, or a bitsandbytes
     *                  checkpoint): its quantized tensors are written dequantized; null otherwise
     */
    static List<TensorToWrite> of(HfModelDirectory base, LoraAdapter merged, DType dtype, WeightSource quantized) {
        Set<String> changed = merged == null ? Set.of() : changedByAdapter(merged);
        List<TensorToWrite> out = new ArrayList<>();
        for (ModelTensor e : base.expectedTensors()) {
            StoredTensor stored = base.tensor(e.name());
            if (changed.contains(e.name())) {
                out.add(TensorToWrite.ofLazyFloats(e.name(), dtype, e.shape(),
                        () -> asStored(e, merged.base().mergedWeight(e.name(), merged))));
            } else if (quantized != null && (base.isPrequantized(e.name()) || WeightQuantization.applies(e))) {
                // quantized one tensor at a time as it is written, and dropped after
                out.add(TensorToWrite.ofLazyFloats(e.name(), dtype, e.shape(), () -> asStored(e, widen(quantized.tensor(e.name())))));
            } else if (stored.dtype() == dtype) {
                // under its full name, also when the checkpoint was saved without the base model's prefix (GPT-2)
                out.add(TensorToWrite.ofBytes(e.name(), stored.dtype(), stored.shape(), stored.data()));
            } else {
                out.add(TensorToWrite.ofLazyFloats(e.name(), dtype, e.shape(), () -> widen(stored.matrix())));
            }
        }
        return out;
    }

    /** An engine-layout weight in the checkpoint's layout (a Conv1D weight transposed back to [in x out]). */
    private static float[] asStored(ModelTensor e, float[] engineLayout) {
        return e.toStoredLayout(engineLayout);
    }

    private static float[] widen(Matrix m) {
        float[] data = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), data, r * m.cols());
        return data;
    }
}
