package io.jtune.model;

import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.Bnb4BitMatrix;
import io.jtune.tensor.Bnb4BitType;
import io.jtune.tensor.Int8RowMatrix;
import io.jtune.tensor.Matrix;
import java.util.Objects;

/**
 * How the frozen base's linear weights are stored, as LLaMA-Factory's quantization_bit,
 * quantization_type and double_quantization ask bitsandbytes to store them: 4-bit NF4 or FP4
 * (blocks of 64, optionally double-quantized absmax) or 8-bit per output row. Only the linear
 * layers inside the decoder layers are quantized; embeddings, norms, biases and the LM head stay
 * as they are, as transformers does.
 */
public record WeightQuantization(int bits, Bnb4BitType type, boolean doubleQuant) {
    public WeightQuantization {
        if (bits != 4 && bits != 8) throw new IllegalArgumentException("quantization bits are 4 or 8, not " + bits);
        if (bits == 4) Objects.requireNonNull(type, "a 4-bit quantization needs its type (nf4 or fp4)");
    }

    public static WeightQuantization fourBit(Bnb4BitType type, boolean doubleQuant) {
        return new WeightQuantization(4, type, doubleQuant);
    }

    /**
     * From LLaMA-Factory's keys: quantization_bit (null: none), quantization_type, double_quantization.
     * An unknown bit count or type is an IllegalArgumentException (the config loader checks them first).
     */
    public static WeightQuantization of(Integer bits, String type, boolean doubleQuant) {
        if (bits == null) return null;
        if (bits == 8) return eightBit();
        Bnb4BitType t = Bnb4BitType.ofBnbName(type == null ? "nf4" : type);
        if (t == null) throw new IllegalArgumentException("quantization_type " + type + " is not nf4 or fp4");
        return new WeightQuantization(bits, t, doubleQuant);
    }

    /** Bytes the decoder layers' linear weights of {@code c} take in this storage (for the memory estimate). */
    public long layerWeightBytes(io.jtune.model.arch.ModelFamily family, io.jtune.model.arch.ModelConfig c) {
        long all = 0;   // every layer's (a MoE model's dense mlp_only layers differ from its sparse ones)
        for (ModelTensor t : family.allLayerLinearWeights(c)) all += bytes(t.rows(), t.cols());
        return all;
    }

    public static WeightQuantization eightBit() {
        return new WeightQuantization(8, null, false);
    }

    /** True for the tensors this quantizes: the weight (not the bias) of a linear module inside a decoder layer. */
    public static boolean applies(ModelTensor t) {
        return t.layer() >= 0 && t.role().isLayerLinear() && !t.bias();
    }

    /** The matrix in this storage. */
    public Matrix quantize(Matrix m) {
        return bits == 4 ? Bnb4BitMatrix.quantize(m, type, doubleQuant) : Int8RowMatrix.quantize(m);
    }

    /** Bytes a rows x cols weight takes in this storage. */
    public long bytes(long rows, long cols) {
        return bits == 4 ? Bnb4BitMatrix.bytes(rows, cols, doubleQuant) : Int8RowMatrix.bytes(rows, cols);
    }

    /** E.g. "4-bit nf4 with double quantization", "8-bit (weight-only)". */
    public String describe() {
        if (bits == 8) return "8-bit (weight-only, per output row)";
        return "4-bit " + type.bnbName() + (doubleQuant ? " with double quantization" : "");
    }
}
