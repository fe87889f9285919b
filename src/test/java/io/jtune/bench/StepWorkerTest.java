package io.jtune.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepWorkerTest {
    private static final FrozenWeights BF16 = FrozenWeights.parse("bf16");

    /** A Qwen2-shaped model small enough for a test: vocab 64, hidden 32, 2 layers. */
    private static final ModelConfig TINY = ModelConfig.builder().modelType("qwen2")
            .vocabSize(64).hiddenSize(32).intermediateSize(48).numHiddenLayers(2)
            .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(128)
            .tieWordEmbeddings(true).attentionBias(true)
            .eosTokenIds(List.of(1)).dtype(DType.BF16)
            .build();

    @Test
    void measuresATinyStepWithItsFlopsAndLoss() {
        var json = StepWorker.measure(new LoraStepSetup("tiny", TINY, BF16, false), 16, 2, 1);
        assertEquals(16, json.get("seq").asInt());
        assertTrue(json.get("seconds_per_step").asDouble() > 0, json.toString());
        assertEquals(16 / json.get("seconds_per_step").asDouble(), json.get("tokens_per_s").asDouble(), 1e-9);
        assertEquals(StepFlops.loraStep(TINY, 16, LoraStepSetup.RANK), json.get("flops_per_step").asDouble());
        assertEquals(2, json.get("step_times").size());
        // Random tokens over a 64-token vocabulary: the loss starts near ln 64.
        assertEquals(Math.log(64), json.get("loss").asDouble(), 0.5);
    }

    @Test
    void gradientCheckpointingTimesTheSameStep() {
        var off = StepWorker.measure(new LoraStepSetup("tiny", TINY, BF16, false), 16, 2, 1);
        var on = StepWorker.measure(new LoraStepSetup("tiny", TINY, BF16, true), 16, 2, 1);
        assertEquals(off.get("loss").asDouble(), on.get("loss").asDouble());
    }

    @Test
    void aQuantizedBaseTimesAStepNearTheBf16One() {
        // nf4 (QLoRA) and int8 bases: the same step on the quantized weights, its loss near ln 64 too
        for (String w : List.of("nf4", "nf4-single", "fp4", "int8")) {
            var json = StepWorker.measure(new LoraStepSetup("tiny", TINY, FrozenWeights.parse(w), true), 16, 1, 1);
            assertTrue(json.get("setup").asText().contains(w + " frozen"), json.toString());
            assertEquals(Math.log(64), json.get("loss").asDouble(), 0.5, w);
        }
        // the 7B shape is known by name and its quantized weights are generated lazily (not built here)
        assertEquals(4096, LoraStepSetup.architecture("llama2-7b").hiddenSize());
        var request = new StepWorker.Request("llama2-7b", FrozenWeights.parse("nf4"), true, 256, 2, 1, 2);
        List<String> command = StepWorker.command(request);
        int main = command.indexOf(StepWorker.class.getName());
        assertEquals(request, StepWorker.Request.parse(command.subList(main + 1, command.size()).toArray(String[]::new)));
    }

    @Test
    void dpoAndSftStepsTrainOnTheSamePairsThroughTheTrainersObjectives() {
        var sft = StepWorker.measure(new PreferenceStepSetup("tiny", TINY, FrozenWeights.parse("bf16"), false, 2, PreferenceStepSetup.Kind.SFT), 16, 1, 0);
        var dpo = StepWorker.measure(new PreferenceStepSetup("tiny", TINY, FrozenWeights.parse("bf16"), false, 2, PreferenceStepSetup.Kind.DPO), 16, 1, 0);
        assertEquals(4 * 16 / sft.get("seconds_per_step").asDouble(), sft.get("tokens_per_s").asDouble(), 1e-6, "2 pairs: 4 sequences");
        assertEquals(Math.log(64), sft.get("loss").asDouble(), 0.5, "cross-entropy over random tokens");
        // the first step's policy is its reference (LoRA B = 0): DPO's sigmoid loss is log 2
        assertEquals(Math.log(2), dpo.get("loss").asDouble(), 1e-9);
        assertEquals(sft.get("flops_per_step").asDouble() + 4 * StepFlops.frozenForward(TINY, 16), dpo.get("flops_per_step").asDouble(),
                1e-6 * dpo.get("flops_per_step").asDouble(), "DPO adds the reference's forward pass");
        assertTrue(dpo.get("setup").asText().contains("DPO sigmoid, 2 pairs"), dpo.toString());
    }

    @Test
    void aPreferenceRequestCarriesItsPairsAndKind() {
        var request = new StepWorker.Request("tiny", FrozenWeights.parse("bf16"), false, 16, 1, 0, 1, 2, "dpo");
        List<String> command = StepWorker.command(request);
        int main = command.indexOf(StepWorker.class.getName());
        assertEquals(request, StepWorker.Request.parse(command.subList(main + 1, command.size()).toArray(String[]::new)));
    }

    @Test
    void theChildCommandCarriesTheRequest() {
        var request = new StepWorker.Request("qwen2.5-0.5b", BF16, true, 512, 3, 1, 2);
        List<String> command = StepWorker.command(request);
        int main = command.indexOf(StepWorker.class.getName());
        assertTrue(main > 0 && command.get(main - 2).equals("-cp"), command.toString());
        assertEquals(request, StepWorker.Request.parse(command.subList(main + 1, command.size()).toArray(String[]::new)));
    }
}
