package io.jtune.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.io.peft.PeftAdapters;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * jtune bench rollout on the llama golden checkpoint with its LoRA adapter: both modes generate every
 * completion to its full length, sample the same tokens (batched decoding gives each sequence the
 * logits it gets alone, and each has its seed), and the table compares them. Speed is not checked here.
 */
class RolloutBenchTest {
    @Test
    void batchedAndOneAtATimeGenerateTheSameCompletions() {
        Path dir = Path.of("src/test/resources/goldens/llama");
        try (HfModelDirectory files = HfModelDirectory.open(dir)) {
            CausalLM model = InferenceModels.frozen(files.config(), new HfWeightSource(files));
            var adapter = PeftAdapters.load(model, "lora", dir.resolve("lora"));
            RolloutBench.Result result = RolloutBench.measure(model, adapter, new RolloutBench.Settings(2, 3, 5, 4, 1, 7));
            assertEquals(6, result.batched().batch());
            assertEquals(1, result.single().batch());
            assertEquals(2 * 3 * 4, result.batched().tokens(), "no stop tokens: every completion has the asked length");
            assertEquals(result.batched().tokens(), result.single().tokens());
            assertTrue(result.sameCompletions(), "a sequence samples the same tokens batched or alone");
            assertTrue(result.batched().seconds() > 0 && result.single().seconds() > 0);
            String table = RolloutBench.table(result);
            assertTrue(table.contains("batched (grpo rollouts)") && table.contains("1.00x"), table);
        }
    }
}
