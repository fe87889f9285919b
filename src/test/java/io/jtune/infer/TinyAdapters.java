package io.jtune.infer;

import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.InferenceModels;
import io.jtune.train.checkpoint.FlatWeightsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Writes PEFT LoRA adapter folders with random values over a {@link TinyChatModels} model, as training would save them. */
public final class TinyAdapters {
    private TinyAdapters() {}

    /** A rank-4 adapter on q_proj and v_proj whose values (seeded) change the model's greedy replies. */
    public static Path write(Path modelDir, Path adapterDir, long seed) throws IOException {
        return write(modelDir, adapterDir, seed, 4, List.of("q_proj", "v_proj"));
    }

    public static Path write(Path modelDir, Path adapterDir, long seed, int rank, List<String> targets) throws IOException {
        FinetuneSpec.Lora spec = new FinetuneSpec.Lora(rank, 2.0 * rank, 0.0, targets, false, List.of());
        try (HfModelDirectory dir = HfModelDirectory.open(modelDir)) {
            CausalLM lora = InferenceModels.withLora(dir.config(), new HfWeightSource(dir), spec);
            Random rnd = new Random(seed);
            float[] v = lora.parameterValues();
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * 0.5f;
            Files.createDirectories(adapterDir);
            new FlatWeightsCheckpoint(lora, AdapterWeights.ADAPTER_FILE).save(adapterDir);
            new LoraAdapterConfig(rank, 2.0 * rank, 0.0, targets, false, List.of(), modelDir.toString()).write(adapterDir);
        }
        return adapterDir;
    }
}
