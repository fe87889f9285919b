package io.jtune.export;

import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfModelWriter;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.io.safetensors.TensorToWrite;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.arch.ModelTensor;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import io.jtune.train.workflow.TrainedWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/** Tiny checkpoints and PEFT adapters for the export tests. */
final class ExportFixtures {
    private ExportFixtures() {}

    /** A tiny llama (tied embeddings) with a Qwen2-style byte-level tokenizer and a chatml chat template, in fp32. */
    static void fp32Model(Path dir) throws IOException {
        TinyModelFactory.create(dir, new CorpusGenerator(1).documents(120), 320, new TinyModelFactory.Size(32, 64, 2, 4, 2, 128), 5);
    }

    /** The same model saved in bf16 (config.json torch_dtype bfloat16). */
    static void bf16Copy(Path fp32Dir, Path dir) throws IOException {
        try (HfModelDirectory src = HfModelDirectory.open(fp32Dir)) {
            List<TensorToWrite> tensors = new ArrayList<>();
            for (ModelTensor e : src.expectedTensors()) {
                Matrix m = src.matrix(e.name());
                float[] data = new float[m.rows() * m.cols()];
                for (int r = 0; r < m.rows(); r++) m.readRow(r, 0, m.cols(), data, r * m.cols());
                tensors.add(TensorToWrite.ofFloats(e.name(), DType.BF16, e.shape(), data));
            }
            HfModelWriter.save(dir, src.rawConfig(), src.rawGenerationConfig(), fp32Dir, tensors, DType.BF16, 1L << 30);
        }
    }

    static final FinetuneSpec.Lora LORA = new FinetuneSpec.Lora(4, 8.0, 0.0, List.of("all"), false, List.of());

    /** The base with a LoRA adapter whose A and B are random and non-zero (B starts at zero in training). */
    static CausalLM loraModel(HfModelDirectory base, FinetuneSpec.Lora lora, long seed) {
        CausalLM model = ModelBuilder.build(base.config(), new HfWeightSource(base), FinetuneSpec.lora(lora), new CausalLM.Options(false, 1));
        float[] values = model.parameterValues();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < values.length; i++) values[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.2);
        return model;
    }

    /** Saves the model's trainable tensors as a PEFT adapter folder (adapter_config.json + adapter_model.safetensors). */
    static void saveAdapter(CausalLM model, FinetuneSpec.Lora lora, Path dir, Path base) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        io.jtune.io.peft.PeftAdapters.writeWeights(model.trainable(), dir.resolve(AdapterWeights.ADAPTER_FILE));
        new LoraAdapterConfig(lora.rank(), lora.effectiveAlpha(), lora.dropout(), TrainedWeights.loraTargetModules(model),
                lora.useRslora(), lora.additionalTargets(), base.toString()).write(dir);
    }

    /** Two rows of 9 random tokens. */
    static Batch batch(int vocab) {
        Random rnd = new Random(17);
        int[][] ids = new int[2][9];
        for (int[] row : ids) for (int t = 0; t < row.length; t++) row[t] = rnd.nextInt(vocab);
        return Batch.of(ids, null);
    }
}
