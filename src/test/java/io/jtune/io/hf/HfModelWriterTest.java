package io.jtune.io.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.safetensors.SafetensorsWriter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.arch.ModelTensor;
import io.jtune.tensor.DType;
import io.jtune.tensor.Numbers;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelWriterTest {
    @TempDir Path tmp;

    /** config.json exactly as CPython's json.dumps(config, indent=2, sort_keys=True) prints it (transformers' format). */
    static final String CONFIG = """
            {
              "architectures": [
                "LlamaForCausalLM"
              ],
              "attention_bias": false,
              "bos_token_id": 1,
              "eos_token_id": [
                2,
                3
              ],
              "head_dim": 4,
              "hidden_act": "silu",
              "hidden_size": 8,
              "intermediate_size": 12,
              "max_position_embeddings": 64,
              "model_type": "llama",
              "num_attention_heads": 2,
              "num_hidden_layers": 2,
              "num_key_value_heads": 1,
              "pad_token_id": null,
              "rms_norm_eps": 1e-05,
              "rope_scaling": {
                "factor": 8.0,
                "high_freq_factor": 4.0,
                "low_freq_factor": 1.0,
                "original_max_position_embeddings": 32,
                "rope_type": "llama3"
              },
              "rope_theta": 500000.0,
              "tie_word_embeddings": false,
              "torch_dtype": "float32",
              "transformers_version": "4.51.0",
              "vocab_size": 10,
              "x_big": 1e+16,
              "x_empty": {},
              "x_list": [],
              "x_neg": -0.0001,
              "x_note": "caf\\u00e9 \\"q\\"\\n",
              "x_tiny": 1.5e-07
            }
            """;
    static final String GENERATION = """
            {
              "bos_token_id": 1,
              "do_sample": true,
              "eos_token_id": [
                2,
                3
              ],
              "temperature": 0.6,
              "top_p": 0.9
            }
            """;

    private Path source() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), CONFIG);
        Files.writeString(src.resolve("generation_config.json"), GENERATION);
        Files.writeString(src.resolve("tokenizer.json"), "{\"model\": {}}");
        Files.writeString(src.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        Files.writeString(src.resolve("chat_template.jinja"), "{{ messages }}");
        Files.writeString(src.resolve("merges.txt"), "a b\n");
        Files.writeString(src.resolve("README.md"), "not a tokenizer file");
        var config = HfModelDirectoryTest.config(CONFIG);
        SafetensorsWriter.writeCheckpoint(src, HfModelDirectoryTest.weights(config, DType.F32), 1 << 20);
        return src;
    }

    @Test
    void savesAFaithfulShardedBf16Copy() throws Exception {
        Path out = tmp.resolve("out");
        try (HfModelDirectory src = HfModelDirectory.open(source())) {
            List<TensorToWrite> bf16 = new ArrayList<>();
            for (ModelTensor e : src.expectedTensors()) {
                StoredTensor t = src.tensor(e.name());
                float[] v = new float[(int) t.elementCount()];
                var m = t.matrix();
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), v, r * m.cols());
                bf16.add(TensorToWrite.ofFloats(e.name(), DType.BF16, e.shape(), v));
            }
            List<Path> written = HfModelWriter.save(out, src.rawConfig(), src.rawGenerationConfig(), src.directory(), bf16, DType.BF16, 300);
            assertEquals(out.resolve("config.json"), written.getLast());
        }
        // config.json: the same text but for the dtype.
        assertEquals(CONFIG.replace("\"torch_dtype\": \"float32\"", "\"torch_dtype\": \"bfloat16\""), Files.readString(out.resolve("config.json")));
        assertEquals(GENERATION, Files.readString(out.resolve("generation_config.json")));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "merges.txt")) {
            assertEquals(Files.readString(tmp.resolve("src").resolve(f)), Files.readString(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("README.md")));
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        try (HfModelDirectory m = HfModelDirectory.open(out)) {
            assertEquals(DType.BF16, m.config().dtype());
            assertEquals(List.of(2, 3), m.generationConfig().eosTokenIds());
            StoredTensor down = m.tensor("model.layers.1.mlp.down_proj.weight");
            assertEquals(DType.BF16, down.dtype());
            int index = m.expectedTensors().stream().map(ModelTensor::name).toList().indexOf(down.name());
            float original = index * 1000 + 77; // value of element 77 (row 6, col 5 of [8, 12])
            assertEquals(Numbers.bf16ToFloat(Numbers.floatToBf16(original)), down.matrix().get(6, 5));
        }
    }

    @Test
    void copyThroughIsBitIdentical() throws Exception {
        Path out = tmp.resolve("copy");
        try (HfModelDirectory src = HfModelDirectory.open(source())) {
            List<TensorToWrite> same = src.expectedTensors().stream().map(e -> TensorToWrite.of(src.tensor(e.name()))).toList();
            HfModelWriter.save(out, src, same, DType.F32);
            try (HfModelDirectory copy = HfModelDirectory.open(out)) {
                assertEquals(List.of(out.resolve("model.safetensors")), copy.checkpoint().files());
                for (ModelTensor e : src.expectedTensors()) {
                    assertArrayEquals(src.tensor(e.name()).data().toArray(ValueLayout.JAVA_BYTE),
                            copy.tensor(e.name()).data().toArray(ValueLayout.JAVA_BYTE), e.name());
                }
            }
        }
        assertEquals(CONFIG, Files.readString(out.resolve("config.json")));
    }

    @Test
    void refusesTensorsThatDoNotFitTheConfig() throws Exception {
        Path out = tmp.resolve("bad");
        try (HfModelDirectory src = HfModelDirectory.open(source())) {
            List<TensorToWrite> all = new ArrayList<>(src.expectedTensors().stream().map(e -> TensorToWrite.of(src.tensor(e.name()))).toList());
            List<TensorToWrite> missing = all.subList(1, all.size());
            HfModelException e = assertThrows(HfModelException.class, () -> HfModelWriter.save(out, src, missing, DType.F32));
            assertTrue(e.getMessage().contains("'model.embed_tokens.weight' [10, 8] is missing"), e.getMessage());
            List<TensorToWrite> extra = new ArrayList<>(all);
            extra.add(TensorToWrite.ofFloats("model.layers.9.mlp.up_proj.weight", DType.F32, new long[] {1}, new float[1]));
            e = assertThrows(HfModelException.class, () -> HfModelWriter.save(out, src, extra, DType.F32));
            assertTrue(e.getMessage().contains("model.layers.9.mlp.up_proj.weight"), e.getMessage());
            List<TensorToWrite> wrongShape = new ArrayList<>(all);
            wrongShape.set(0, TensorToWrite.ofFloats("model.embed_tokens.weight", DType.F32, new long[] {8, 10}, new float[80]));
            e = assertThrows(HfModelException.class, () -> HfModelWriter.save(out, src, wrongShape, DType.F32));
            assertTrue(e.getMessage().contains("has shape [8, 10] but the config implies [10, 8]"), e.getMessage());
        }
        assertFalse(Files.exists(out.resolve("config.json")));
    }
}
