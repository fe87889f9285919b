package io.jtune.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.InferenceModels;
import io.jtune.model.WeightSource;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Matrix;
import io.jtune.tensor.Numbers;
import io.jtune.tensor.Q8_0Matrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files as model_name_or_path: tiny llama / qwen2 / qwen3 checkpoints written by jtune's GGUF
 * export (F16 and Q8_0) and opened again give the HF checkpoint's config, and logits equal to the
 * HF weights' logits: bit for bit against the same weights rounded as the file stores them (F16, or
 * Q8_0 quantized and dequantized), which also proves the llama q/k rows are put back in HF's order;
 * and within a stated bound of the original fp32 weights.
 */
class GgufModelTest {
    @TempDir Path tmp;

    static Batch batch(int vocab) {
        Random rnd = new Random(5);
        int[][] ids = new int[2][7];
        for (int[] row : ids) for (int t = 0; t < row.length; t++) row[t] = rnd.nextInt(vocab);
        return Batch.of(ids, null);
    }

    static float[] logits(ModelConfig c, WeightSource w) {
        return InferenceModels.frozen(c, w).forwardLogits(batch(c.vocabSize()));
    }

    /** The source's tensors with every 2-D one passed through {@code round} (1-D tensors stay F32 in GGUF). */
    static WeightSource rounded(TinyCheckpoint src, UnaryOperator<Matrix> round) {
        Map<String, Matrix> m = new LinkedHashMap<>();
        src.tensors.forEach((name, t) -> m.put(name, t.rows() == 1 ? t : round.apply(t)));
        return WeightSource.of(m, "rounded");
    }

    static Matrix f16(Matrix t) {
        float[] v = new float[t.rows() * t.cols()];
        for (int r = 0; r < t.rows(); r++) t.readRow(r, 0, t.cols(), v, r * t.cols());
        for (int i = 0; i < v.length; i++) v[i] = Numbers.f16ToFloat(Numbers.floatToF16(v[i]));
        return Matrix.of(v, t.rows(), t.cols());
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    @Test
    void f16AndQ8_0FilesGiveTheCheckpointsLogitsForEachFamily() throws IOException {
        for (String family : List.of("llama", "qwen2", "qwen3")) {
            for (boolean tied : List.of(true, false)) {
                TinyCheckpoint src = TinyCheckpoint.of(family, tied);
                float[] original = logits(src.config(), WeightSource.of(src.tensors, "fp32"));
                for (GgufFileType type : List.of(GgufFileType.F16, GgufFileType.Q8_0)) {
                    Path file = tmp.resolve(family + tied + type + ".gguf");
                    LlamaFamilyGguf.export(src, type, file);
                    try (GgufModel gguf = GgufModel.open(file)) {
                        ModelConfig c = gguf.config();
                        String what = family + (tied ? " tied " : " untied ") + type;
                        assertEquals(src.config().modelType(), c.modelType(), what);
                        assertEquals(src.config().headDim(), c.headDim(), what);
                        assertEquals(src.config().numKeyValueHeads(), c.numKeyValueHeads(), what);
                        assertEquals(src.config().attentionBias(), c.attentionBias(), what);
                        assertEquals(src.config().qkNorm(), c.qkNorm(), what);
                        assertEquals(tied, c.tieWordEmbeddings(), what);
                        assertEquals(src.config().rope().theta(), c.rope().theta(), 1e-3, what);
                        Matrix q = gguf.weights().tensor("model.layers.0.self_attn.q_proj.weight");
                        assertTrue(type == GgufFileType.Q8_0 ? q instanceof Q8_0Matrix : !(q instanceof Q8_0Matrix), "kept in its format");

                        float[] fromFile = logits(c, gguf.weights());
                        WeightSource sameRounding = rounded(src, type == GgufFileType.F16 ? GgufModelTest::f16 : Q8_0Matrix::quantize);
                        assertArrayEquals(logits(src.config(), sameRounding), fromFile, what + ": the same weights give the same logits");
                        // the stated bound against the fp32 checkpoint (random weights of std 0.5, so errors grow through the
                        // layers; measured: F16 ≤ 0.2%, Q8_0 ≤ 8.4% of max|logit|): the storage's rounding only
                        double bound = (type == GgufFileType.F16 ? 0.002 : 0.15) * maxAbs(original);
                        double diff = maxAbsDiff(original, fromFile);
                        assertTrue(diff <= bound, what + ": logits differ from fp32 by " + diff + " > " + bound);
                    }
                }
            }
        }
    }

    /** Q4_0 written by ggml's reference quantizer (TensorCodec) and read back as GgmlBlockMatrix views. */
    @Test
    void q4_0FileGivesTheLogitsOfItsDequantizedWeights() throws IOException {
        for (String family : List.of("llama", "qwen2")) {
            TinyCheckpoint src = TinyCheckpoint.of(family, false);
            Path file = tmp.resolve(family + "-q4_0.gguf");
            LlamaFamilyGguf.export(src, GgufFileType.Q4_0, file);
            try (GgufModel gguf = GgufModel.open(file)) {
                Matrix q = gguf.weights().tensor("model.layers.0.self_attn.q_proj.weight");
                assertEquals(io.jtune.tensor.GgmlBlockMatrix.class, q.getClass());
                // the reference: every 2-D weight through the same quantizer and ggml's Q4_0 decoder
                WeightSource same = rounded(src, GgufModelTest::q4_0);
                assertArrayEquals(logits(src.config(), same), logits(gguf.config(), gguf.weights()), family + " Q4_0");
            }
        }
    }

    static Matrix q4_0(Matrix t) {
        float[] row = new float[t.cols()];
        float[] out = new float[t.rows() * t.cols()];
        byte[] blocks = new byte[t.cols() / 32 * 18];
        for (int r = 0; r < t.rows(); r++) {
            t.readRow(r, 0, t.cols(), row, 0);
            TensorCodec.quantizeQ4_0(row, t.cols(), blocks);
            for (int b = 0; b < t.cols() / 32; b++) {
                float[] y = io.jtune.tensor.GgmlBlockFormat.Q4_0.decodeBlock(java.util.Arrays.copyOfRange(blocks, b * 18, b * 18 + 18));
                System.arraycopy(y, 0, out, r * t.cols() + b * 32, 32);
            }
        }
        return Matrix.of(out, t.rows(), t.cols());
    }

    @Test
    void folderWithOneModelAndAnAdapterOpensTheModel() throws IOException {
        TinyCheckpoint src = TinyCheckpoint.of("qwen2", true);
        Path dir = Files.createDirectories(tmp.resolve("folder"));
        LlamaFamilyGguf.export(src, GgufFileType.F16, dir.resolve("model-F16.gguf"));
        GgufMetadata adapterMeta = new GgufMetadata();
        adapterMeta.putString("general.architecture", "qwen2");
        adapterMeta.putString("general.type", "adapter");
        GgufWriter.write(dir.resolve("lora.gguf"), adapterMeta, List.of());
        assertTrue(GgufModel.isGguf(dir));
        assertEquals(dir.resolve("model-F16.gguf"), GgufModel.modelFile(dir));
        JtuneException e = assertThrows(JtuneException.class, () -> GgufModel.open(dir.resolve("lora.gguf")));
        assertTrue(e.getMessage().contains("is a LoRA adapter"), e.getMessage());
    }

    @Test
    void otherArchitecturesAreNamedInTheError() throws IOException {
        GgufMetadata m = new GgufMetadata();
        m.putString("general.architecture", "gemma3");
        Path file = tmp.resolve("gemma.gguf");
        GgufWriter.write(file, m, List.of());
        JtuneException e = assertThrows(JtuneException.class, () -> GgufModel.open(file));
        assertTrue(e.getMessage().contains("GGUF architecture 'gemma3' is not supported"), e.getMessage());
        assertTrue(e.getMessage().contains("llama, qwen2, qwen3"), e.getMessage());
    }

    @Test
    void readerKnowsLlamaCppsBlockTypes() {
        assertEquals(GgmlType.Q4_0, GgmlType.fromId(2, "test"));
        assertEquals(GgmlType.Q4_1, GgmlType.fromId(3, "test"));
        assertEquals(GgmlType.Q4_K, GgmlType.fromId(12, "test"));
        assertEquals(GgmlType.Q5_K, GgmlType.fromId(13, "test"));
        assertEquals(GgmlType.Q6_K, GgmlType.fromId(14, "test"));
        assertEquals(144 * 2, GgmlType.Q4_K.rowBytes(512));
        assertEquals(io.jtune.tensor.GgmlBlockFormat.Q6_K, GgmlType.Q6_K.blockFormat());
        JtuneException e = assertThrows(JtuneException.class, () -> GgmlType.fromId(6, "x.gguf"));
        assertTrue(e.getMessage().contains("tensor type 6 is not supported"), e.getMessage());
    }
}
