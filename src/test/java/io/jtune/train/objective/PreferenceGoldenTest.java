package io.jtune.train.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.TrainableParameter;
import io.jtune.model.WeightSource;
import io.jtune.tensor.Matrix;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every pref_loss of stage dpo against an independent float64 PyTorch reference
 * (src/test/python/make_preference_goldens.py, output in src/test/resources/goldens/preference): on
 * the llama and qwen2 golden checkpoints, with their LoRA adapter as the policy and the base as the
 * reference, and once with full tuning against a frozen copy of the starting weights; and stage kto's
 * objective with LoRA. The loss and
 * every metric within 1e-5 relative; the gradients within 1e-4 (norm of the difference over the norm).
 */
class PreferenceGoldenTest {
    private static final Path GOLDENS = Path.of("src/test/resources/goldens");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String family, JsonNode inputs, JsonNode spec) {
        @Override public String toString() { return family + "/" + spec.get("name").asText(); }
    }

    static Stream<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        for (JsonNode f : JSON.readTree(GOLDENS.resolve("preference/cases.json").toFile()).get("families")) {
            for (JsonNode c : f.get("cases")) out.add(new Case(f.get("family").asText(), f, c));
        }
        return out.stream();
    }

    static WeightSource weightsOf(HfModelDirectory dir) {
        return new WeightSource() {
            @Override public Matrix tensor(String name) {
                StoredTensor t = dir.checkpoint().find(name);
                return t == null ? null : t.matrix();
            }
            @Override public Set<String> names() { return dir.checkpoint().names(); }
            @Override public String describe() { return dir.directory().toString(); }
        };
    }

    static float[] read(SafetensorsFile file, String name) {
        StoredTensor t = file.find(name);
        assertTrue(t != null, "golden tensor " + name + " is missing");
        float[] out = new float[(int) t.elementCount()];
        java.lang.foreign.MemorySegment.copy(t.data(), ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                0, out, 0, out.length);
        return out;
    }

    static Batch batch(JsonNode inputs) {
        JsonNode ids = inputs.get("input_ids"), labels = inputs.get("labels");
        int rows = ids.size(), len = ids.get(0).size();
        int[][] i = new int[rows][len], l = new int[rows][len];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < len; t++) {
                i[r][t] = ids.get(r).get(t).asInt();
                l[r][t] = labels.get(r).get(t).asInt();
            }
        }
        return Batch.of(i, l);
    }

    static PreferenceObjective.Settings settings(JsonNode c) {
        JsonNode ld = c.get("ld_alpha");
        return new PreferenceObjective.Settings(PreferenceObjective.LossType.of(c.get("pref_loss").asText()),
                c.get("pref_beta").asDouble(), c.get("dpo_label_smoothing").asDouble(), c.get("pref_ftx").asDouble(),
                c.get("simpo_gamma").asDouble(), ld == null || ld.isNull() ? null : ld.asDouble());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void lossMetricsAndGradientsMatchTheReference(Case golden) throws IOException {
        JsonNode c = golden.spec();
        String name = c.get("name").asText();
        boolean lora = c.get("tuning").asText().equals("lora");
        Path dir = GOLDENS.resolve(golden.family());
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("lora/adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(GOLDENS.resolve("preference/" + golden.family() + ".safetensors"))) {
            FinetuneSpec spec = lora ? FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of()))
                    : FinetuneSpec.full();
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), spec, CausalLM.Options.defaults());
            if (lora) for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            CausalLM reference = lora ? model : ModelBuilder.frozen(hf.config(), weightsOf(hf));
            PreferenceObjective objective = new PreferenceObjective(settings(c), new PreferenceObjective.Passes() {
                @Override public double[] referenceLogProbs(Batch b) { return reference.forward(b, null, false, null).sequenceLogProbs(); }
                @Override public double[] lmHeadRowMean() { return model.lmHeadRowMean(model.adapter()); }
            });
            Batch batch = batch(golden.inputs());
            double pairs = objective.normaliser(batch);
            assertEquals(2, pairs);
            model.zeroGrad();
            Loss loss = new ObjectiveRunner(model, objective).train(batch, (float) (1 / pairs));
            assertRelative(c.get("loss").asDouble(), loss.sum() / pairs, name + " loss");
            JsonNode metrics = c.get("metrics");
            assertEquals(metrics.size(), loss.metrics().size(), name + ": metric names " + loss.metrics().keySet());
            for (Iterator<Map.Entry<String, JsonNode>> it = metrics.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                Metric got = loss.metrics().get(m.getKey());
                assertTrue(got != null, name + " lacks metric " + m.getKey());
                assertRelative(m.getValue().asDouble(), got.value(), name + " " + m.getKey());
            }
            for (TrainableParameter p : model.trainableParameters()) {
                float[] want = read(expected, name + "." + p.name());
                double diff = 0, norm = 0;
                for (int i = 0; i < want.length; i++) {
                    diff += Math.pow((double) model.gradients()[p.offset() + i] - want[i], 2);
                    norm += Math.pow(want[i], 2);
                }
                double err = Math.sqrt(diff / norm);
                assertTrue(err <= 1e-4, name + " grad " + p.name() + ": relative error " + err);
            }
        }
    }

    static Stream<String> families() {
        return Stream.of("llama", "qwen2");
    }

    /** Stage kto on each family with LoRA: three tagged examples (one kl clamped at 0, one not) and their KL rows. */
    @ParameterizedTest(name = "{0}/kto")
    @MethodSource("families")
    void ktoLossMetricsAndGradientsMatchTheReference(String family) throws IOException {
        JsonNode golden = null;
        for (JsonNode f : JSON.readTree(GOLDENS.resolve("preference/cases.json").toFile()).get("families")) {
            if (f.get("family").asText().equals(family)) golden = f.get("kto");
        }
        JsonNode c = golden.get("case");
        Path dir = GOLDENS.resolve(family);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("lora/adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(GOLDENS.resolve("preference/" + family + ".safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf),
                    FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())), CausalLM.Options.defaults());
            for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            KtoObjective objective = new KtoObjective(c.get("pref_beta").asDouble(), c.get("kto_chosen_weight").asDouble(),
                    c.get("kto_rejected_weight").asDouble(), b -> model.forward(b, null, false, null).sequenceLogProbs());
            Batch plain = batch(golden);
            int[] tags = new int[plain.batchSize()];
            java.util.Arrays.fill(tags, -1);
            for (int i = 0; i < golden.get("tags").size(); i++) tags[i] = golden.get("tags").get(i).asInt();
            Batch batch = new Batch(plain.batchSize(), plain.seqLen(), plain.inputIds(), plain.labels(), plain.positionIds(), null, tags);
            double examples = objective.normaliser(batch);
            assertEquals(3, examples);
            model.zeroGrad();
            Loss loss = new ObjectiveRunner(model, objective).train(batch, (float) (1 / examples));
            assertRelative(c.get("loss").asDouble(), loss.sum() / examples, "kto loss");
            JsonNode metrics = c.get("metrics");
            assertEquals(metrics.size(), loss.metrics().size(), "metric names " + loss.metrics().keySet());
            for (Iterator<Map.Entry<String, JsonNode>> it = metrics.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                assertRelative(m.getValue().asDouble(), loss.metrics().get(m.getKey()).value(), "kto " + m.getKey());
            }
            for (TrainableParameter p : model.trainableParameters()) {
                float[] want = read(expected, "kto." + p.name());
                double diff = 0, norm = 0;
                for (int i = 0; i < want.length; i++) {
                    diff += Math.pow((double) model.gradients()[p.offset() + i] - want[i], 2);
                    norm += Math.pow(want[i], 2);
                }
                assertTrue(Math.sqrt(diff / norm) <= 1e-4, "kto grad " + p.name() + ": relative error " + Math.sqrt(diff / norm));
            }
        }
    }

    /** Stage rm on each family with LoRA: the value head's scores, loss, accuracy and gradients (LoRA and head). */
    @ParameterizedTest(name = "{0}/rm")
    @MethodSource("families")
    void rewardModelLossAndGradientsMatchTheReference(String family) throws IOException {
        JsonNode golden = null;
        for (JsonNode f : JSON.readTree(GOLDENS.resolve("preference/cases.json").toFile()).get("families")) {
            if (f.get("family").asText().equals(family)) golden = f.get("rm");
        }
        Path dir = GOLDENS.resolve(family);
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("lora/adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(GOLDENS.resolve("preference/" + family + ".safetensors"))) {
            FinetuneSpec spec = FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())).withValueHead();
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf), spec, CausalLM.Options.defaults());
            for (TrainableParameter p : model.trainableParameters()) {
                boolean head = p.name().startsWith("v_head.");
                model.setParameter(p.name(), (head ? expected.find("rm_init." + p.name()) : adapter.find(p.name())).matrix());
            }
            RewardObjective objective = new RewardObjective(model.valueHead());
            Batch batch = batch(golden);
            double pairs = objective.normaliser(batch);
            model.zeroGrad();
            Loss loss = new ObjectiveRunner(model, objective).train(batch, (float) (1 / pairs));
            assertRelative(golden.get("loss").asDouble(), loss.sum() / pairs, "rm loss");
            assertEquals(golden.get("metrics").get("accuracy").asDouble(), loss.metrics().get("accuracy").value(), 0.0, "rm accuracy");
            assertEquals(1, loss.metrics().size());
            for (TrainableParameter p : model.trainableParameters()) {
                float[] want = read(expected, "rm." + p.name());
                double diff = 0, norm = 0;
                for (int i = 0; i < want.length; i++) {
                    diff += Math.pow((double) model.gradients()[p.offset() + i] - want[i], 2);
                    norm += Math.pow(want[i], 2);
                }
                if (p.name().equals("v_head.summary.bias")) {
                    // the bias cancels in s_chosen − s_rejected: its gradient is 0 up to rounding on both sides
                    assertEquals(0, Math.sqrt(diff) + Math.sqrt(norm), 1e-6, "rm grad of the bias");
                } else {
                    assertTrue(Math.sqrt(diff / norm) <= 1e-4, "rm grad " + p.name() + ": relative error " + Math.sqrt(diff / norm));
                }
            }
        }
    }

    private static void assertRelative(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-5 * Math.abs(expected) + 1e-12, what);
    }
}
