package io.jtune.bench;

import io.jtune.JtuneException;
import io.jtune.model.RandomWeights;
import io.jtune.model.WeightQuantization;
import io.jtune.model.WeightSource;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelTensor;
import io.jtune.io.gguf.GgmlType;
import io.jtune.tensor.GgmlBlockMatrix;
import io.jtune.tensor.Q8_0Matrix;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.DType;
import java.util.List;

/**
 * How a benchmark stores the frozen base weights: a dtype as checkpoints hold them (bf16, fp32), or
 * a bitsandbytes quantization of the decoder linear weights as quantization_bit gives it (nf4 and
 * fp4 with double quantization as LLaMA-Factory's default, nf4-single without, int8 for 8-bit), or
 * one of GGUF's block formats, Q8_0 or Q4_0, on every weight matrix, embedding included, as
 * llama.cpp's Q8_0 files and its {@code llama-quantize --pure} Q4_0 files store them ({@code gguf}).
 *
 * <p>Quantized weights are generated tensor by tensor straight into their format
 * ({@link GeneratedWeights}), so a 7B-shaped model never exists in bf16 (13 GB) in memory or on disk.
 */
public record FrozenWeights(String label, DType dtype, WeightQuantization quantization, GgmlType gguf) {

    public FrozenWeights(String label, DType dtype, WeightQuantization quantization) {
        this(label, dtype, quantization, null);
    }

    public static List<String> names() {
        return List.of("bf16", "fp32", "nf4", "nf4-single", "fp4", "int8", "q8_0", "q4_0");
    }

    public static FrozenWeights parse(String name) {
        return switch (name) {
            case "bf16", "bfloat16" -> new FrozenWeights("bf16", DType.BF16, null);
            case "fp32", "float32" -> new FrozenWeights("fp32", DType.F32, null);
            case "nf4" -> new FrozenWeights("nf4", DType.BF16, WeightQuantization.fourBit(Bnb4BitType.NF4, true));
            case "nf4-single" -> new FrozenWeights("nf4-single", DType.BF16, WeightQuantization.fourBit(Bnb4BitType.NF4, false));
            case "fp4" -> new FrozenWeights("fp4", DType.BF16, WeightQuantization.fourBit(Bnb4BitType.FP4, true));
            case "int8" -> new FrozenWeights("int8", DType.BF16, WeightQuantization.eightBit());
            case "q8_0" -> new FrozenWeights("q8_0", DType.BF16, null, GgmlType.Q8_0);
            case "q4_0" -> new FrozenWeights("q4_0", DType.BF16, null, GgmlType.Q4_0);
            default -> throw new JtuneException("--weights: '" + name + "' is not one of " + names());
        };
    }

    /** The weights named by --quantization-bit (4 or 8) and --quantization-type (nf4 or fp4), as the config keys name them. */
    public static FrozenWeights ofQuantizationBit(int bits, String type, boolean doubleQuant) {
        if (bits == 8) return parse("int8");
        if (bits != 4) throw new JtuneException("--quantization-bit: " + bits + " is not 4 or 8");
        Bnb4BitType t = Bnb4BitType.ofBnbName(type);
        if (t == null) throw new JtuneException("--quantization-type: '" + type + "' is not nf4 or fp4");
        String label = t.bnbName() + (doubleQuant ? "" : "-single");
        return new FrozenWeights(label, DType.BF16, WeightQuantization.fourBit(t, doubleQuant));
    }

    public boolean quantized() {
        return quantization != null || gguf != null;
    }

    /** A seeded random model in this storage. */
    public WeightSource randomWeights(ModelConfig config, long seed) {
        if (gguf == GgmlType.Q8_0) return new GeneratedWeights(config, seed, t -> !t.vector(), Q8_0Matrix::quantize);
        if (gguf == GgmlType.Q4_0) return new GeneratedWeights(config, seed, t -> !t.vector(), GgmlBlockMatrix::quantizeQ4_0);
        if (quantization == null) return new RandomWeights(config, seed, dtype);
        return new GeneratedWeights(config, seed, WeightQuantization::applies, quantization::quantize);
    }

    /** The same generated model as the quantized storages start from, before quantization: what the GGUF exports of the benchmark write. */
    public WeightSource generatedWeights(ModelConfig config, long seed) {
        return new GeneratedWeights(config, seed, t -> false, m -> m);
    }

    /** Bytes tensor {@code t} takes in this storage (vectors stay in the checkpoint's dtype). */
    public long bytes(ModelTensor t) {
        if (gguf != null && !t.vector()) return t.rows() * gguf.rowBytes(t.cols());
        if (quantization != null && WeightQuantization.applies(t)) return quantization.bytes(t.rows(), t.cols());
        return t.elements() * dtype.byteSize();
    }

    /** How a setup's name shows it: "bf16 frozen", "nf4 frozen (4-bit nf4 with double quantization)". */
    public String describe() {
        if (gguf != null) return label + " frozen (GGUF " + gguf + ", every matrix)";
        return quantization == null ? dtype.torchName() + " frozen" : label + " frozen";
    }
}
