package io.jtune.train.reward;

import io.jtune.JtuneException;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import io.jtune.model.ModelBuilder;
import io.jtune.model.ValueHead;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * A reward model trained with stage rm scoring completions: its value head on the final hidden state
 * of the completion's last token (prompt and completion ids together, as the policy saw them). An rm
 * LoRA adapter is loaded over the policy's base (with LoRA the policy's own model, its base frozen:
 * one base in memory, the adapter an object of its own, as LLaMA-Factory's reward_model_type lora;
 * with full or freeze tuning a frozen copy of the starting weights); a full rm model is opened beside
 * it and must share the policy's tokenizer.
 */
public final class RewardModelReward implements RewardFunction, AutoCloseable {
    private final CausalLM model;
    private final LoraAdapter adapter;
    private final float[] headWeight;
    private final float headBias;
    private final AutoCloseable opened;

    private RewardModelReward(CausalLM model, LoraAdapter adapter, float[] headWeight, float headBias, AutoCloseable opened) {
        this.model = model;
        this.adapter = adapter;
        this.headWeight = headWeight;
        this.headBias = headBias;
        this.opened = opened;
    }

    /** Whether {@code dir} is a stage-rm output (it has value_head.safetensors). */
    public static boolean isRewardModel(Path dir) {
        return Files.isRegularFile(dir.resolve("value_head.safetensors"));
    }

    /** Loads the rm in {@code dir}: an adapter over the policy's base (its starting weights), or a full model of its own. */
    public static RewardModelReward load(Path dir, Supplier<CausalLM> frozenBase) {
        CausalLM policyBase = frozenBase.get();
        String name = dir.getFileName() == null ? "reward_model" : dir.getFileName().toString();
        if (Files.isRegularFile(dir.resolve("adapter_config.json"))) {
            LoraAdapter adapter = PeftAdapters.load(policyBase, "reward:" + name, dir);
            float[][] head = readHead(dir, policyBase.config().hiddenSize());
            return new RewardModelReward(policyBase, adapter, head[0], head[1][0], null);
        }
        return loadFull(dir, null, policyBase.config().vocabSize());
    }

    /**
     * A full reward model opened beside the policy (ppo's reward_model_type full): the model in
     * {@code modelDir} with, when {@code adapterDir} is given, that rm adapter over it; the value head
     * is the adapter's, or else the model folder's.
     *
     * @param policyVocab the policy's vocabulary size, which the reward model must share
     */
    public static RewardModelReward loadFull(Path modelDir, Path adapterDir, int policyVocab) {
        Path headDir = adapterDir != null ? adapterDir : modelDir;
        if (!isRewardModel(headDir)) {
            throw new JtuneException("reward_model: " + headDir + " has no value_head.safetensors; a reward model is the output of stage rm");
        }
        HfModelDirectory files = HfModelDirectory.open(modelDir);
        try {
            if (files.config().vocabSize() != policyVocab) {
                throw new JtuneException("reward model " + modelDir + " has " + files.config().vocabSize()
                        + " tokens in its vocabulary, the policy " + policyVocab + "; it must share the policy's tokenizer");
            }
            CausalLM model = ModelBuilder.frozen(files.config(), new HfWeightSource(files));
            LoraAdapter adapter = adapterDir == null ? null
                    : PeftAdapters.load(model, "reward:" + (adapterDir.getFileName() == null ? "adapter" : adapterDir.getFileName()), adapterDir);
            float[][] head = readHead(headDir, files.config().hiddenSize());
            return new RewardModelReward(model, adapter, head[0], head[1][0], files);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    private static float[][] readHead(Path dir, int hidden) {
        Path file = dir.resolve("value_head.safetensors");
        try (SafetensorsFile head = SafetensorsFile.open(file)) {
            if (head.find(ValueHead.WEIGHT) == null || head.find(ValueHead.BIAS) == null
                    || !head.tensor(ValueHead.WEIGHT).hasShape(1, hidden) || !head.tensor(ValueHead.BIAS).hasShape(1)) {
                throw new JtuneException(file + ": expected " + ValueHead.WEIGHT + " [1, " + hidden + "] and " + ValueHead.BIAS
                        + " [1], found " + head.names());
            }
            return new float[][] {head.tensor(ValueHead.WEIGHT).toFloatArray(), head.tensor(ValueHead.BIAS).toFloatArray()};
        }
    }

    @Override
    public double score(Sample sample) {
        return scoreAll(List.of(sample))[0];
    }

    @Override
    public double[] scoreAll(List<Sample> samples) {
        double[] out = new double[samples.size()];
        for (int i = 0; i < out.length; i++) {
            Sample s = samples.get(i);
            int[] ids = new int[s.promptIds().length + s.completionIds().length];
            System.arraycopy(s.promptIds(), 0, ids, 0, s.promptIds().length);
            System.arraycopy(s.completionIds(), 0, ids, s.promptIds().length, s.completionIds().length);
            int[] labels = new int[ids.length];
            Arrays.fill(labels, Batch.IGNORE_INDEX);
            float[] h = model.forward(Batch.of(new int[][] {ids}, new int[][] {labels}), adapter, false, new int[] {ids.length - 1}).hidden();
            double score = headBias;
            for (int j = 0; j < headWeight.length; j++) score += (double) headWeight[j] * h[j];
            out[i] = score;
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        if (opened != null) opened.close();
    }
}
