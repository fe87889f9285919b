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
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stage ppo's advantages and losses against an independent float64 PyTorch reference
 * (src/test/python/make_ppo_goldens.py, output in src/test/resources/goldens/ppo): fixed rollouts on the
 * llama golden checkpoint with its LoRA adapter and a value head as the policy, the base as the
 * reference — two micro-batches of one optimizer step, given scores, old log-probabilities and old
 * values — with and without whiten_rewards and with other gamma, lam and clip ranges. The advantages and
 * returns (KL-penalised rewards, GAE, whitening), the step's loss and its metrics within 1e-5 (metrics near 0 within
 * 1e-7 absolute), the LoRA
 * and value-head gradients within 1e-4 relative. The case of goldens/ppo_temperature has every
 * log-probability (policy, old, reference) taken from the logits divided by the sampling temperature 0.7,
 * as TRL's PPOTrainer does; its loss and gradients are far from those of the untempered log-probabilities,
 * so it fails if the division is left out.
 */
class PpoGoldenTest {
    private static final Path GOLDENS = Path.of("src/test/resources/goldens");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Case(String folder, JsonNode all, JsonNode spec) {
        @Override public String toString() { return folder + "/" + spec.get("name").asText(); }

        /** The sampling temperature the golden's log-probabilities divide the logits by (1 when it names none). */
        double temperature() { return all.path("temperature").asDouble(1.0); }
    }

    static Stream<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        for (String folder : List.of("ppo", "ppo_temperature")) {
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
    void advantagesLossMetricsAndGradientsMatchTheReference(Case golden) throws IOException {
        Outcome outcome = run(golden, golden.temperature(), true);
        JsonNode c = golden.spec();
        String name = golden.toString();
        double want = c.get("loss").asDouble();
        assertEquals(want, outcome.loss(), 1e-5 * Math.abs(want) + 1e-9, name + " loss");
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("metrics").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            double w = m.getValue().asDouble();
            assertTrue(outcome.metrics().containsKey(m.getKey()), name + ": no " + m.getKey() + " in " + outcome.metrics().keySet());
            // a mean of O(1) terms that cancel (the policy loss) is held to 1e-5 of the terms' scale, not of the small result
            assertEquals(w, outcome.metrics().get(m.getKey()).value(), 1e-5 * Math.max(Math.abs(w), 0.01), name + " " + m.getKey());
        }
        outcome.gradientErrors().forEach((tensor, error) ->
                assertTrue(error <= 1e-4, name + " grad " + tensor + ": relative error " + error));
    }

    /**
     * The temperature golden discriminates: the same step with the logits left undivided (temperature 1 for
     * the policy and the reference) is far from it, in the policy loss and the LoRA gradients.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("temperatureCases")
    void untemperedLogProbsMissTheTemperatureGolden(Case golden) throws IOException {
        Outcome untempered = run(golden, 1.0, false);
        double want = golden.spec().get("metrics").get("ppo/loss/policy").asDouble();
        double policyLoss = untempered.metrics().get("ppo/loss/policy").value();
        assertTrue(Math.abs(policyLoss - want) > 1e-3 * Math.max(Math.abs(want), 0.01),
                golden + ": the untempered policy loss " + policyLoss + " is within reach of the tempered " + want);
        double worst = untempered.gradientErrors().entrySet().stream().filter(e -> !e.getKey().startsWith("v_head."))
                .mapToDouble(Map.Entry::getValue).max().orElseThrow();
        assertTrue(worst > 1e-2, golden + ": the untempered LoRA gradients are within " + worst + " of the tempered reference");
    }

    /** The step's loss (the mean over its micro-batches), its metrics and each trainable tensor's relative gradient error. */
    record Outcome(double loss, Map<String, Metric> metrics, Map<String, Double> gradientErrors) {}

    /**
     * One optimizer step of a golden case, every log-probability at this temperature; checkAdvantages: the
     * advantages and returns must match the golden's (they depend on the log-probabilities through the KL reward).
     */
    private static Outcome run(Case golden, double temperature, boolean checkAdvantages) throws IOException {
        JsonNode all = golden.all(), c = golden.spec();
        String name = c.get("name").asText();
        Path dir = GOLDENS.resolve("llama");
        try (HfModelDirectory hf = HfModelDirectory.open(dir);
             SafetensorsFile adapter = SafetensorsFile.open(dir.resolve("lora/adapter_model.safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(GOLDENS.resolve(golden.folder() + "/llama.safetensors"))) {
            CausalLM model = ModelBuilder.build(hf.config(), PreferenceGoldenTest.weightsOf(hf),
                    FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())).withValueHead(),
                    CausalLM.Options.defaults());
            for (TrainableParameter p : model.trainableParameters()) {
                String source = p.name().startsWith("v_head.") ? "v_head_init." + p.name() : null;
                model.setParameter(p.name(), source == null ? adapter.find(p.name()).matrix() : expected.find(source).matrix());
            }

            // the rollout: per row, its response tokens' old log-probabilities, reference log-probabilities (the base) and old values
            List<Batch> batches = new ArrayList<>();
            List<double[]> old = new ArrayList<>(), ref = new ArrayList<>(), values = new ArrayList<>();
            List<double[]> flatOld = new ArrayList<>(), flatValues = new ArrayList<>();
            for (JsonNode micro : all.get("batches")) {
                Batch batch = PreferenceGoldenTest.batch(micro);
                batches.add(batch);
                double[] o = flat(micro.get("old_logprobs"), batch), v = flat(micro.get("old_values"), batch);
                double[] r = model.forward(batch, null, false, null, (float) temperature).tokenLogProbs();
                flatOld.add(o);
                flatValues.add(v);
                old.addAll(perRow(o, batch));
                ref.addAll(perRow(r, batch));
                values.addAll(perRow(v, batch));
            }
            double[] scores = doubles(all.get("scores"));
            PpoAdvantages.Result adv = PpoAdvantages.compute(scores, old.toArray(double[][]::new), ref.toArray(double[][]::new),
                    values.toArray(double[][]::new), c.get("kl_coef").asDouble(),
                    new PpoAdvantages.Settings(c.get("gamma").asDouble(), c.get("lam").asDouble(), c.get("whiten_rewards").asBoolean()));
            for (int row = 0; row < scores.length && checkAdvantages; row++) {
                double[] wantA = doubles(c.get("advantages").get(row)), wantR = doubles(c.get("returns").get(row));
                assertEquals(wantA.length, adv.advantages()[row].length, name + " row " + row + " tokens");
                for (int t = 0; t < wantA.length; t++) {
                    assertEquals(wantA[t], adv.advantages()[row][t], 1e-5, name + " advantage " + row + "/" + t);
                    assertEquals(wantR[t], adv.returns()[row][t], 1e-5, name + " return " + row + "/" + t);
                }
            }

            Map<Batch, PpoObjective.RolloutRows> rows = new IdentityHashMap<>();
            int first = 0;
            for (int b = 0; b < batches.size(); b++) {
                Batch batch = batches.get(b);
                double[] a = new double[batch.tokens()], ret = new double[batch.tokens()];
                int[] positions = PpoObjective.predictingPositions(batch);
                int[] filled = new int[batch.batchSize()];
                for (int t : positions) {
                    int row = first + t / batch.seqLen(), i = filled[t / batch.seqLen()]++;
                    a[t] = adv.advantages()[row][i];
                    ret[t] = adv.returns()[row][i];
                }
                rows.put(batch, new PpoObjective.RolloutRows(flatOld.get(b), flatValues.get(b), a, ret, Map.of()));
                first += batch.batchSize();
            }
            PpoObjective objective = new PpoObjective(new PpoObjective.Settings(c.get("cliprange").asDouble(),
                    c.get("cliprange_value").asDouble(), c.get("vf_coef").asDouble(), temperature), model.valueHead(), rows::get);
            model.zeroGrad();
            ObjectiveRunner runner = new ObjectiveRunner(model, objective);
            double units = batches.size(), sum = 0;
            Map<String, Metric> metrics = new TreeMap<>();
            for (Batch batch : batches) {
                Loss loss = runner.train(batch, (float) (1 / units));
                sum += loss.sum();
                loss.metrics().forEach((k, v) -> metrics.merge(k, v, Metric::plus));
            }
            Map<String, Double> errors = new TreeMap<>();
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

    /** A batch's values at the positions that predict a response token, row by row. */
    private static List<double[]> perRow(double[] flat, Batch batch) {
        List<double[]> out = new ArrayList<>();
        int[] positions = PpoObjective.predictingPositions(batch);
        for (int r = 0; r < batch.batchSize(); r++) {
            final int row = r;
            out.add(java.util.Arrays.stream(positions).filter(t -> t / batch.seqLen() == row).mapToDouble(t -> flat[t]).toArray());
        }
        return out;
    }

    /** [rows][seq - 1] values (position t predicts label t + 1) as the model's flat per-position layout. */
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
