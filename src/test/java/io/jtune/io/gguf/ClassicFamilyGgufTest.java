package io.jtune.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Matrix;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's layout of BLOOM's and Falcon's grouped query_key_value: all q rows, all k rows, all v
 * rows; a GGUF LoRA adapter's B follows the base's rows.
 */
class ClassicFamilyGgufTest {
    @Test
    void groupedRowsBecomeQueryKeyValueBlocks() {
        // Falcon-40B-like: 4 heads in 2 groups of head_dim 1: stored [q0 q1 k0 v0 | q2 q3 k1 v1]
        ModelConfig falcon = ModelConfig.builder().modelType("falcon").hiddenSize(4).numAttentionHeads(4).numKeyValueHeads(2)
                .headDim(1).build();
        assertArrayEquals(new int[] {0, 1, 4, 5, 2, 6, 3, 7}, LlamaFamilyGguf.ungroupedRows(falcon));
        // BLOOM: per head [q k v]; 3 heads of 1
        ModelConfig bloom = ModelConfig.builder().modelType("bloom").hiddenSize(3).numAttentionHeads(3).headDim(1).build();
        assertArrayEquals(new int[] {0, 3, 6, 1, 4, 7, 2, 5, 8}, LlamaFamilyGguf.ungroupedRows(bloom));
    }

    @Test
    void loraBOfAGroupedProjectionIsRegroupedLikeTheBase() {
        ModelConfig bloom = ModelConfig.builder().modelType("bloom").vocabSize(8).hiddenSize(4).intermediateSize(16)
                .numHiddenLayers(1).numAttentionHeads(2).tieWordEmbeddings(true).build();
        int rows = 3 * 4, rank = 2;
        float[] b = new float[rows * rank];
        for (int i = 0; i < b.length; i++) b[i] = i;
        var pair = new LoraAdapterGguf.Pair("transformer.h.0.self_attention.query_key_value.weight",
                Matrix.of(new float[rank * 4], rank, 4), Matrix.of(b, rows, rank));
        LlamaFamilyGguf.Plan plan = LoraAdapterGguf.plan(bloom, "t", 8, List.of(pair));
        GgufTensor written = plan.tensors().stream().filter(t -> t.name().equals("blk.0.attn_qkv.weight.lora_b")).findFirst().orElseThrow();
        int[] order = LlamaFamilyGguf.ungroupedRows(bloom);
        float[] row = new float[rank];
        for (int r = 0; r < rows; r++) {
            written.rows().readRow(r, row);
            assertEquals(b[order[r] * rank], row[0], "row " + r);
        }
    }
}
