package io.jtune.train.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.jtune.infer.GenerationSettings;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.TrainableParameter;
import io.jtune.io.safetensors.StoredTensor;
import io.jtune.model.WeightSource;
import io.jtune.tensor.Matrix;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Rollouts read the trained adapter object as it is now, and a seed fixes each completion. */
class RolloutGeneratorTest {
    @Test
    void rolloutsSeeTheAdaptersCurrentWeightsAndRepeatForTheSameSeeds() {
        try (HfModelDirectory hf = HfModelDirectory.open(Path.of("src/test/resources/goldens/llama"))) {
            CausalLM model = ModelBuilder.build(hf.config(), weightsOf(hf),
                    FinetuneSpec.lora(new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of())), CausalLM.Options.defaults());
            GenerationSettings sampling = new GenerationSettings(true, 1.0, 1.0, 0, 1.0, 0, 0, 6, null);
            RolloutGenerator generator = new RolloutGenerator(model, model.adapter(), sampling, Set.of(), 4);
            List<int[]> prompts = List.of(new int[] {3, 4, 5}, new int[] {3, 4, 5}, new int[] {7, 8});
            long[] seeds = {1, 2, 3};
            List<int[]> first = generator.generate(prompts, seeds);
            List<int[]> again = generator.generate(prompts, seeds);
            for (int i = 0; i < 3; i++) {
                assertEquals(6, first.get(i).length);
                assertArrayEquals(first.get(i), again.get(i), "completion " + i + " repeats with its seed");
            }
            // a large change of the adapter's B factors changes what it samples: the rollout reads the live object
            SplittableRandom random = new SplittableRandom(5);
            float[] params = model.parameterValues();
            for (TrainableParameter p : model.trainableParameters()) {
                if (p.name().contains("lora_B")) for (int i = 0; i < p.size(); i++) params[p.offset() + i] = (float) (random.nextDouble() * 20 - 10);
            }
            List<int[]> changed = generator.generate(prompts, seeds);
            boolean differs = false;
            for (int i = 0; i < 3; i++) differs |= !java.util.Arrays.equals(first.get(i), changed.get(i));
            assertFalse(!differs, "the updated adapter samples other tokens");
        }
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
}
