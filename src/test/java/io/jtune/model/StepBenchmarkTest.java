package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The benchmark entry point runs a real step on a model built from a config alone. */
class StepBenchmarkTest {
    @Test
    void runsATimedLoraStepOnATinyConfig() {
        StepBenchmark.Result r = StepBenchmark.run("tiny", TinyModels.config("qwen3"),
                FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), 16, true, 1, 2);
        assertEquals(16, r.seqLen());
        assertTrue(r.secondsPerStep() > 0 && r.tokensPerSecond() > 0 && r.modelGflops() > 0, r.row());
        assertTrue(r.row().contains("tiny"), r.row());
    }

    @Test
    void issueShapesMatchTheirConfigs() {
        ModelConfig qwen = StepBenchmark.qwen25_05b(), llama = StepBenchmark.llama32_1b();
        assertEquals(896, qwen.qDim());
        assertEquals(128, qwen.kvDim());
        assertEquals(2048, llama.qDim());
        assertEquals(512, llama.kvDim());
        assertEquals("llama3", llama.rope().type());
    }
}
