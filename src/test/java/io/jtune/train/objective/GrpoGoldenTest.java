package io.jtune.train.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.TrainableParameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stage grpo's objective against an independent float64 PyTorch reference
 * (src/test/python/make_grpo_goldens.py, output in src/test/resources/goldens/grpo): fixed rollouts on
 * the llama golden checkpoint with its LoRA adapter as the policy and the base as the reference — two
 * micro-batches of one step, given rewards and old log-probabilities — for each loss_type and
 * scale_rewards, and once with beta 0 and the current log-probabilities as the old ones. The
 * advantages, the step's loss and its metrics within 1e-5 relative, the LoRA gradients within 1e-4.
 * The cases of goldens/grpo_temperature have every log-probability (policy, old, reference) taken from
 * the logits divided by the sampling temperature 0.7, as TRL's GRPOTrainer does; their gradients are far
 * from those of the untempered log-probabilities, so they fail if the division is left out.
 */
class GrpoGoldenTest {
    private static final Path GOLDENS = Path.of("src/test/resources/goldens");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String folder, JsonNode all, JsonNode spec) {
        @Override public String toString() { return folder + "/" + spec.get("name").asText(); }

        /** The sampling temperature the golden's log-probabilities divide the logits by (1 when it names none). */
        double temperature() { return all.path("temperature").asDouble(1.0); }
    }

    static Stream<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        for (String folder : List.of("grpo", "grpo_temperature")) {
            JsonNode all = JSON.readTree(GOLDENS.resolve(folder + "/cases.json").toFile());
            for (JsonNode c : all.get("cases")) out.add(new Case(folder, all, c));
        }
        return out.stream();
    }

    static Stream<Case> temperatureCases() throws IOException {
        return cases().filter(c -> c.temperature() != 1.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void lossMetricsAndGradientsMatchTheReference(Case golden) throws IOException {
        Outcome outcome = run(golden, golden.temperature());
        JsonNode c = golden.spec();
        String name = golden.toString();
        double want = c.get("loss").asDouble();
        assertEquals(want, outcome.loss(), 1e-5 * Math.abs(want) + 1e-9, name + " loss");
        assertEquals(c.get("metrics").size(), outcome.metrics().size(), name + ": metric names " + outcome.metrics().keySet());
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("metrics").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            double w = m.getValue().asDouble();
            assertEquals(w, outcome.metrics().get(m.getKey()).value(), 1e-5 * Math.abs(w) + 1e-12, name + " " + m.getKey());
        }
        outcome.gradientErrors().forEach((tensor, error) ->
                assertTrue(error <= 1e-4, name + " grad " + tensor + ": relative error " + error));
    }

    /**
     * The temperature goldens discriminate: the same step with the logits left undivided (temperature 1 for
     * the policy and the reference) is far from them, in the gradients at least (a loss at ρ = 1 without the
     * KL term does not depend on the log-probabilities).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("temperatureCases")
    void untemperedLogProbsMissTheTemperatureGoldens(Case golden) throws IOException {
        Outcome untempered = run(golden, 1.0);
        double worst = untempered.gradientErrors().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertTrue(worst > 1e-2, golden + ": the untempered gradients are within " + worst + " of the tempered reference");
    }

    /** The step's loss (the window's mean), its metrics summed over the micro-batches, and each LoRA gradient's relative error. */
    record Outcome(double loss, Map<String, Metric> metrics, Map<String, Double> gradientErrors) {}

    /** One optimizer step's loss and gradients of a golden case, every log-probability at this temperature. */
    private static Outcome run(Case golden, double temperature) throws IOException {
        JsonNode all = golden.all(), c = golden.spec();
        String name = c.get("name").asText();
        int group = all.get("group").asInt();
        double[] rewards = doubles(all.get("rewards"));
        GroupAdvantages.Result advantages = GroupAdvantages.compute(rewards, group, GroupAdvantages.Scale.of(c.get("scale_rewards").asText()));
        double[] wantAdvantages = doubles(c.get("advantages"));
        for (int i = 0; i < rewards.length; i++) assertEquals(wantAdvantages[i], advantages.advantages()[i], 1e-9, name + " advantage " + i);

        Path dir = GOLDENS.resolve("llama");
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("lora/adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(GOLDENS.resolve(golden.folder() + "/llama.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), PreferenceGoldenTest.weightsOf(hf),
                    FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())), CausalLM.Options.defaults());
            for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            boolean givenOld = c.get("old").asText().equals("given");
            Map<Batch, GrpoObjective.RolloutRows> rows = new IdentityHashMap<>();
            List<Batch> batches = new ArrayList<>();
            int b = 0;
            for (JsonNode micro : all.get("batches")) {
                Batch batch = PreferenceGoldenTest.batch(micro);
                double[] old = givenOld ? flat(micro.get("old_logprobs"), batch) : null;
                double[] ref = model.forward(batch, null, false, null, (float) temperature).tokenLogProbs();
                rows.put(batch, new GrpoObjective.RolloutRows(Arrays.copyOfRange(advantages.advantages(), b * group, (b + 1) * group),
                        old, ref, Map.of()));
                batches.add(batch);
                b++;
            }
            GrpoObjective objective = new GrpoObjective(new GrpoObjective.Settings(GrpoObjective.LossType.of(c.get("loss_type").asText()),
                    all.get("epsilon").asDouble(), all.get("epsilon_high").asDouble(), c.get("beta").asDouble(),
                    all.get("max_completion_length").asInt(), temperature), rows::get);
            double units = 0;
            for (Batch batch : batches) units += objective.normaliser(batch);
            model.zeroGrad();
            ObjectiveRunner runner = new ObjectiveRunner(model, objective);
            double sum = 0;
            Map<String, Metric> metrics = new java.util.TreeMap<>();
            for (Batch batch : batches) {
                Loss loss = runner.train(batch, (float) (1 / units));
                sum += loss.sum();
                loss.metrics().forEach((k, v) -> metrics.merge(k, v, Metric::plus));
            }
            Map<String, Double> errors = new java.util.TreeMap<>();
            for (TrainableParameter p : model.trainableParameters()) {
                float[] g = PreferenceGoldenTest.read(expected, name + "." + p.name());
                double diff = 0, norm = 0;
                for (int i = 0; i < g.length; i++) {
                    diff += Math.pow((double) model.gradients()[p.offset() + i] - g[i], 2);
                    norm += Math.pow(g[i], 2);
                }
                assertTrue(norm > 0, name + " grad " + p.name() + " is zero in the reference");
                errors.put(p.name(), Math.sqrt(diff / norm));
            }
            return new Outcome(sum / units, metrics, errors);
        }
    }

    /**
     * The direction of the policy gradient, on the golden checkpoint with its adapter: with one iteration
     * (ρ = 1) the gradient of the loss is that of −Σ w·A·log p (checked by central differences of that
     * surrogate along the gradient), and one plain SGD step raises the log-probability of the completion
     * with a positive advantage and lowers that of the one with a negative advantage.
     */
    @org.junit.jupiter.api.Test
    void onePlainSgdStepRaisesAPositiveAdvantageCompletionAndLowersANegativeOne() throws IOException {
        JsonNode all = JSON.readTree(GOLDENS.resolve("grpo/cases.json").toFile());
        Path dir = GOLDENS.resolve("llama");
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("lora/adapter_model.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), PreferenceGoldenTest.weightsOf(hf),
                    FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())), CausalLM.Options.defaults());
            for (TrainableParameter p : model.trainableParameters()) model.setParameter(p.name(), adapter.find(p.name()).matrix());
            Batch batch = PreferenceGoldenTest.batch(all.get("batches").get(0));
            double[] advantages = new double[batch.batchSize()];
            advantages[0] = 1;
            advantages[1] = -1;
            GrpoObjective objective = new GrpoObjective(new GrpoObjective.Settings(GrpoObjective.LossType.GRPO, 0.2, 0.2, 0, 8, 1.0),
                    b -> new GrpoObjective.RolloutRows(advantages, null, null, Map.of()));
            model.zeroGrad();
            new ObjectiveRunner(model, objective).train(batch, 1f);
            float[] theta = model.parameterValues();
            float[] grad = model.gradients().clone();
            float[] start = theta.clone();
            double gradSquared = 0;
            for (float g : grad) gradSquared += (double) g * g;
            assertTrue(gradSquared > 0, "the gradient is not zero");

            // the slope of S along g, (S(θ + h·g) − S(θ − h·g)) / 2h, is |g|² when g is the gradient of S
            double h = 1e-3 / Math.sqrt(gradSquared);
            double up = surrogate(model, batch, advantages, theta, start, grad, -h);
            double down = surrogate(model, batch, advantages, theta, start, grad, h);
            double slope = (up - down) / (2 * h);
            assertEquals(gradSquared, slope, 1e-2 * gradSquared, "the loss's gradient is the policy gradient −A·∇log p");

            double[] before = logProbs(model, batch, theta, start, grad, 0);
            double[] after = logProbs(model, batch, theta, start, grad, 0.5 / Math.sqrt(gradSquared));
            assertTrue(after[0] > before[0], "A > 0: log p rises, " + before[0] + " -> " + after[0]);
            assertTrue(after[1] < before[1], "A < 0: log p falls, " + before[1] + " -> " + after[1]);
        }
    }

    /** The per-row summed log-probabilities at θ = start − lr·grad. */
    private static double[] logProbs(CausalLM model, Batch batch, float[] theta, float[] start, float[] grad, double lr) {
        for (int i = 0; i < theta.length; i++) theta[i] = (float) (start[i] - lr * grad[i]);
        return model.forward(batch, model.adapter(), false, null).sequenceLogProbs();
    }

    /** −Σ_rows A / (rows·tokens) · Σ log p (grpo's loss_type weights) at θ = start − lr·grad, in double precision sums. */
    private static double surrogate(CausalLM model, Batch batch, double[] advantages, float[] theta, float[] start, float[] grad, double lr) {
        for (int i = 0; i < theta.length; i++) theta[i] = (float) (start[i] - lr * grad[i]);
        var out = model.forward(batch, model.adapter(), false, null);
        double[] rows = out.sequenceLogProbs();
        int[] tokens = out.sequenceTokens();
        double s = 0;
        for (int r = 0; r < rows.length; r++) s -= advantages[r] * rows[r] / (Math.max(1, tokens[r]) * (double) rows.length);
        return s;
    }

    /** [rows][seq - 1] log-probabilities (position t predicts label t + 1) as the model's flat per-position layout. */
    private static double[] flat(JsonNode perRow, Batch batch) {
        double[] out = new double[batch.tokens()];
        for (int r = 0; r < perRow.size(); r++) {
            for (int t = 0; t < perRow.get(r).size(); t++) out[r * batch.seqLen() + t] = perRow.get(r).get(t).asDouble();
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
        return out;
    }
}
