package io.jtune.model;

/**
 * The LoRA factors of one linear module, as an adapter holds them: A [r x in], B [out x r], the
 * scale (alpha / r, or alpha / √r with rsLoRA) and the dropout PEFT applies to the adapter's input.
 */
final class LoraPair {
    final Param a;
    final Param b;
    final float scale;
    final float dropout;

    LoraPair(Param a, Param b, float scale, float dropout) {
        this.a = a;
        this.b = b;
        this.scale = scale;
        this.dropout = dropout;
    }

    int rank() { return a.rows; }
}
