package io.jtune.io.peft;

import io.jtune.JtuneException;
import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.TrainableParameter;
import io.jtune.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PEFT's conversion of a PiSSA adapter into a plain LoRA adapter over the original base
 * (save_pretrained with path_initial_model_for_weight_conversion). PiSSA trains over the residual
 * W_res = W − s·B₀·A₀, so the trained model is W_res + s·B·A = W + s·(B·A − B₀·A₀), which is one
 * LoRA of twice the rank:
 * <pre>
 *   A' = [A ; A₀]  [2r x in]       B' = [B | −B₀]  [out x 2r]       r' = 2r, alpha' = 2·alpha (√2·alpha with rsLoRA)
 * </pre>
 * so the scale s = alpha / r (alpha / √r) is unchanged, and init_lora_weights becomes true. Other
 * trained tensors (modules_to_save) are written unchanged; PEFT leaves them out of the converted
 * file, which would lose them.
 */
public final class PissaConversion {
    private PissaConversion() {}

    /**
     * Writes the converted adapter into {@code dir}.
     *
     * @param params   the adapter's tensors and their places in {@code trained} and {@code initial}
     * @param trained  the tensors after training
     * @param initial  the same tensors as the adapter was initialised (LLaMA-Factory's pissa_init folder)
     */
    public static void write(Path dir, List<TrainableParameter> params, float[] trained, float[] initial,
                             LoraAdapterConfig config) throws IOException {
        List<TensorToWrite> tensors = new ArrayList<>();
        for (TrainableParameter p : params) {
            if (p.name().endsWith(".lora_magnitude_vector")) {
                throw new JtuneException("pissa_convert: a DoRA adapter cannot be converted (its magnitude has no LoRA equivalent)");
            }
            float[] now = Arrays.copyOfRange(trained, p.offset(), p.offset() + p.size());
            float[] start = Arrays.copyOfRange(initial, p.offset(), p.offset() + p.size());
            if (p.name().contains(".lora_A.")) {
                tensors.add(TensorToWrite.ofFloats(p.name(), DType.F32, new long[] {2L * p.rows(), p.cols()}, stackRows(now, start)));
            } else if (p.name().contains(".lora_B.")) {
                tensors.add(TensorToWrite.ofFloats(p.name(), DType.F32, new long[] {p.rows(), 2L * p.cols()},
                        joinColumns(now, start, p.rows(), p.cols())));
            } else {
                long[] shape = p.isVector() ? new long[] {p.size()} : new long[] {p.rows(), p.cols()};
                tensors.add(TensorToWrite.ofFloats(p.name(), DType.F32, shape, now));
            }
        }
        Files.createDirectories(dir);
        SafetensorsWriter.writeFile(dir.resolve(AdapterWeights.ADAPTER_FILE), tensors, SafetensorsWriter.PT_METADATA);
        converted(config).write(dir);
    }

    /** The converted adapter's config: twice the rank, alpha scaled to keep the LoRA scale, PEFT's default init. */
    public static LoraAdapterConfig converted(LoraAdapterConfig c) {
        double alpha = c.useRslora() ? c.loraAlpha() * Math.sqrt(2) : c.loraAlpha() * 2;
        return new LoraAdapterConfig(2 * c.r(), alpha, c.loraDropout(), c.targetModules(), c.useRslora(), c.modulesToSave(),
                c.baseModelNameOrPath(), c.useDora(), "true");
    }

    /** [A ; A₀]: A's rows, then A₀'s. */
    private static float[] stackRows(float[] a, float[] a0) {
        float[] out = Arrays.copyOf(a, a.length + a0.length);
        System.arraycopy(a0, 0, out, a.length, a0.length);
        return out;
    }

    /** [B | −B₀] for B, B₀ [rows x cols]. */
    private static float[] joinColumns(float[] b, float[] b0, int rows, int cols) {
        float[] out = new float[rows * 2 * cols];
        for (int o = 0; o < rows; o++) {
            System.arraycopy(b, o * cols, out, o * 2 * cols, cols);
            for (int i = 0; i < cols; i++) out[o * 2 * cols + cols + i] = -b0[o * cols + i];
        }
        return out;
    }
}
