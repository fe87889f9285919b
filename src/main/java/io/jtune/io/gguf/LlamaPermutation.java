package io.jtune.io.gguf;

import io.jtune.JtuneException;

/**
 * The row permutation llama.cpp's converter applies to the q and k projections of Llama-style
 * checkpoints (LlamaModel.permute: reshape(n_head, 2, head_dim/2, ...).swapaxes(1, 2)). HF stores
 * each head's rotary pairs as two halves (rotate-half); llama.cpp's rope kernel for LLM_ARCH_LLAMA
 * expects them interleaved. Qwen2/Qwen3 use the "neox" rope in llama.cpp and are not permuted.
 */
public final class LlamaPermutation {
    private LlamaPermutation() {}

    /**
     * For each output row o = h·d + 2i + j (head h, pair i, member j), the source row
     * h·d + j·d/2 + i, where d = rows / heads.
     */
    public static int[] sourceRows(int rows, int heads, String tensorName) {
        if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new JtuneException("tensor " + tensorName + ": " + rows + " rows cannot be split into " + heads + " heads of even size");
        }
        int d = rows / heads;
        int half = d / 2;
        int[] src = new int[rows];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) src[h * d + 2 * i + j] = h * d + j * half + i;
            }
        }
        return src;
    }

    /** The inverse: for each HF row, the row it became in the GGUF file. */
    public static int[] inverse(int[] sourceRows) {
        int[] inv = new int[sourceRows.length];
        for (int o = 0; o < sourceRows.length; o++) inv[sourceRows[o]] = o;
        return inv;
    }
}
