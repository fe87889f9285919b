package io.jtune.model.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.io.gguf.GgufFileType;
import io.jtune.io.gguf.GgufModelSource;
import io.jtune.io.gguf.GgufTensor;
import io.jtune.io.gguf.GgufTokenizer;
import io.jtune.io.gguf.LlamaFamilyGguf;
import io.jtune.io.hf.HfConfigReader;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.RandomWeights;
import io.jtune.nn.GatedActivation;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every place that lists a model's tensors derives them from the family's declaration: for each
 * registered family, the HF checkpoint check, the GGUF export and the random weights hold exactly
 * {@link ModelFamily#checkpointTensors}, with the same shapes.
 */
class FamilyDerivationTest {
    @TempDir Path dir;

    /** A small config.json of the family with every bias it can have switched on and a head_dim of its own. */
    private static ObjectNode configJson(ModelFamily family) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.putArray("architectures").add(family.hfArchitecture());
        n.put("model_type", family.modelType());
        n.put("vocab_size", 24);
        n.put("hidden_size", 16);
        n.put("intermediate_size", 24);
        n.put("num_hidden_layers", 2);
        n.put("num_attention_heads", 4);
        n.put("num_key_value_heads", 2);
        n.put("head_dim", 8);
        n.put("attention_bias", true);
        n.put("mlp_bias", true);
        n.put("tie_word_embeddings", false);
        if (family == ChatGlm.FAMILY) {
            // the same sizes under ChatGLM's own keys, every bias on
            n.put("padded_vocab_size", 24);
            n.put("ffn_hidden_size", 24);
            n.put("num_layers", 2);
            n.put("kv_channels", 8);
            n.put("multi_query_attention", true);
            n.put("multi_query_group_num", 2);
            n.put("add_qkv_bias", true);
            n.put("add_bias_linear", true);
        }
        return n;
    }

    private static ModelConfig config(ModelFamily family) {
        return HfConfigReader.parse(configJson(family), Path.of(family.modelType(), "config.json"));
    }

    private static List<String> names(List<ModelTensor> tensors) {
        return tensors.stream().map(ModelTensor::name).toList();
    }

    @Test
    void randomWeightsHoldTheDeclaredTensors() {
        for (ModelFamily family : Families.ALL) {
            ModelConfig c = config(family);
            RandomWeights weights = new RandomWeights(c, 3, DType.F32, 0.5);
            List<ModelTensor> declared = family.checkpointTensors(c);
            assertEquals(new TreeSet<>(names(declared)), new TreeSet<>(weights.names()), family.modelType());
            for (ModelTensor t : declared) {
                Matrix m = weights.tensor(t.name());
                assertEquals(List.of(t.rows(), t.cols()), List.of(m.rows(), m.cols()), t.name());
            }
        }
    }

    @Test
    void hfCheckpointsHoldTheDeclaredTensorsInOrder() throws Exception {
        for (ModelFamily family : Families.ALL) {
            ModelConfig c = config(family);
            List<ModelTensor> declared = family.checkpointTensors(c);
            RandomWeights weights = new RandomWeights(c, 3, DType.F32, 0.5);
            List<TensorToWrite> tensors = new ArrayList<>();
            for (ModelTensor t : declared) tensors.add(TensorToWrite.ofFloats(t.name(), DType.F32, t.shape(), values(weights.tensor(t.name()))));
            Collections.reverse(tensors); // the writer puts them in state-dict order itself
            Path model = dir.resolve(family.modelType());
            HfModelWriter.save(model, configJson(family), null, null, tensors, DType.F32, 1L << 30);
            try (HfModelDirectory opened = HfModelDirectory.open(model)) {
                assertEquals(names(declared), names(opened.expectedTensors()), family.modelType());
                for (ModelTensor t : declared) assertArrayEquals(t.shape(), opened.tensor(t.name()).shape(), t.name());
            }
        }
    }

    @Test
    void ggufExportsWriteTheDeclaredTensorsUnderTheirGgufNames() {
        for (ModelFamily family : Families.ALL) {
            ModelConfig c = config(family);
            List<ModelTensor> declared = family.checkpointTensors(c);
            LlamaFamilyGguf.Plan plan = LlamaFamilyGguf.plan(new RandomSource(c), GgufFileType.F32);
            assertEquals(family.ggufArchitecture(), plan.metadata().getString("general.architecture"));
            Set<String> written = new TreeSet<>(plan.tensors().stream().map(GgufTensor::name).toList());
            assertEquals(new TreeSet<>(declared.stream().map(ModelTensor::gguf).toList()), written, family.modelType());
            for (ModelTensor t : declared) {
                GgufTensor g = plan.tensors().stream().filter(x -> x.name().equals(t.gguf())).findFirst().orElseThrow();
                // llama.cpp holds every weight [out, in]: a Conv1D weight (GPT-2, stored [in, out]) is transposed;
                // a MoE expert's projection is one slice of llama.cpp's stacked [experts, out, in] tensor.
                long[] expected = t.role().perExpert() ? new long[] {c.moe().numExperts(), t.rows(), t.cols()}
                        : t.transposed() ? new long[] {t.rows(), t.cols()} : t.shape();
                assertArrayEquals(expected, g.shape(), t.gguf());
            }
        }
    }

    @Test
    void glm4TokenizersThatSplitAsLlama3AreNamedGlm4InGguf() {
        ModelConfig c = config(Glm4.FAMILY);
        RandomSource source = new RandomSource(c);
        LlamaFamilyGguf.Plan plan = LlamaFamilyGguf.plan(new RandomSource(c, source.weights(), source.tokenizer().withPre("llama-bpe")),
                GgufFileType.F32);
        assertEquals("glm4", plan.metadata().getString("tokenizer.ggml.pre"));
        assertEquals(c.rotaryDim(), plan.metadata().getLong("glm4.rope.dimension_count"));
        ModelConfig llama = config(Llama.FAMILY);
        RandomSource llamaSource = new RandomSource(llama);
        LlamaFamilyGguf.Plan llamaPlan = LlamaFamilyGguf.plan(
                new RandomSource(llama, llamaSource.weights(), llamaSource.tokenizer().withPre("llama-bpe")), GgufFileType.F32);
        assertEquals("llama-bpe", llamaPlan.metadata().getString("tokenizer.ggml.pre"), "only glm4 renames it");
    }

    @Test
    void aFamilyDeclaredOutsideTheRegistryGetsItsOwnRandomWeights() {
        ModelFamily variant = Llama.FAMILY.withActivation("llama-variant", GatedActivation.SILU);
        ModelConfig c = config(Llama.FAMILY).toBuilder().modelType("llama-variant").build();
        RandomWeights weights = new RandomWeights(variant, c, 3, DType.F32, 0.02);
        assertEquals(new TreeSet<>(names(variant.checkpointTensors(c))), new TreeSet<>(weights.names()));
    }

    private static float[] values(Matrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), out, r * m.cols());
        return out;
    }

    /** Random weights with a one-token-per-row tokenizer, as a GGUF export source. */
    private record RandomSource(ModelConfig config, RandomWeights weights, GgufTokenizer tokenizer) implements GgufModelSource {
        RandomSource(ModelConfig config) {
            this(config, new RandomWeights(config, 3, DType.F32, 0.5), tokenizer(config.vocabSize()));
        }

        private static GgufTokenizer tokenizer(int vocab) {
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < vocab; i++) tokens.add("t" + i);
            int[] types = new int[vocab];
            Arrays.fill(types, GgufTokenizer.TYPE_NORMAL);
            return new GgufTokenizer("gpt2", null, tokens, types, List.of("t 1"), null, null, null, null, null,
                    null, null, null, null);
        }

        @Override public String name() { return "random-" + config.modelType(); }
        @Override public Matrix tensor(String hfName) { return weights.tensor(hfName); }
    }
}
