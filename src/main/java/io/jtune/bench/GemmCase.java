package io.jtune.bench;

import io.jtune.tensor.DType;

/**
 * One GEMM of a linear layer with {@code in} input and {@code out} output features over
 * {@code tokens} rows: its forward or one of its two backward products, with the weight stored as
 * {@code weightType}. Shapes are written tokens x in x out, as in "512x896x4864".
 */
public record GemmCase(String layer, Product product, int tokens, int in, int out, DType weightType) {

    /** The three products of a linear layer y = x·Wᵀ (W is [out x in]). */
    public enum Product {
        FORWARD("fwd", "y = x·Wᵀ"),
        INPUT_GRAD("dX", "dX = dY·W"),
        WEIGHT_GRAD("dW", "dW = dYᵀ·X");

        public final String shortName;
        public final String formula;

        Product(String shortName, String formula) {
            this.shortName = shortName;
            this.formula = formula;
        }
    }

    public String shape() {
        return tokens + "x" + in + "x" + out;
    }

    /** Multiply-adds count twice: 2·tokens·in·out. */
    public double flops() {
        return 2.0 * tokens * in * out;
    }

    /** The key that pairs this case with the same product in another library (dtype aside). */
    public String key() {
        return product.shortName + ":" + shape();
    }
}
