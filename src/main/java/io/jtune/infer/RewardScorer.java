package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.model.LoraAdapter;
import io.jtune.model.ValueHead;
import io.jtune.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A reward model (stage rm) that scores texts, as LLaMA-Factory's engine does for its
 * /v1/score/evaluation endpoint: each text is tokenized as given (no template, no special tokens
 * added), truncated to max_length tokens (default the model's max_position_embeddings), and scored
 * by the value head on the final hidden state of its last token. The head is read from
 * value_head.safetensors beside the adapter (adapter_name_or_path) or the model.
 */
public final class RewardScorer implements AutoCloseable {
    private final HfModelDirectory base;
    private final CausalLM model;
    private final LoraAdapter adapter;
    private final HfTokenizer tokenizer;
    private final float[] headWeight;
    private final float headBias;
    private final String name;

    private RewardScorer(HfModelDirectory base, CausalLM model, LoraAdapter adapter, HfTokenizer tokenizer, float[] headWeight,
                         float headBias, String name) {
        this.base = base;
        this.model = model;
        this.adapter = adapter;
        this.tokenizer = tokenizer;
        this.headWeight = headWeight;
        this.headBias = headBias;
        this.name = name;
    }

    /** Loads the model, the adapter and the value head {@code config} names. */
    public static RewardScorer load(JtuneConfig config) {
        ModelArguments m = config.model();
        if (m.adapterNameOrPath().size() > 1) {
            throw new JtuneException("adapter_name_or_path: several adapters " + m.adapterNameOrPath() + " are not supported yet; give one");
        }
        Path modelDir = ModelLocator.fromEnvironment().locate(m.modelNameOrPath(), null, HubClient.DownloadProgress.SILENT);
        HfModelDirectory base = HfModelDirectory.open(modelDir);
        try {
            CausalLM model = InferenceModels.frozen(base.config(), new HfWeightSource(base));
            String name = modelDir.getFileName() == null ? modelDir.toString() : modelDir.getFileName().toString();
            LoraAdapter adapter = null;
            Path headDir = modelDir;
            if (!m.adapterNameOrPath().isEmpty()) {
                headDir = Path.of(m.adapterNameOrPath().getFirst());
                String adapterName = headDir.getFileName() == null ? headDir.toString() : headDir.getFileName().toString();
                adapter = PeftAdapters.load(model, adapterName, headDir);
                name += "+" + adapterName;
            }
            Path headFile = headDir.resolve("value_head.safetensors");
            if (!Files.isRegularFile(headFile)) {
                throw new JtuneException(headDir + " has no value_head.safetensors: stage rm serves a reward model trained with"
                        + " stage rm (its adapter or model folder)");
            }
            float[] weight;
            float bias;
            try (SafetensorsFile head = SafetensorsFile.open(headFile)) {
                if (head.find(ValueHead.WEIGHT) == null || head.find(ValueHead.BIAS) == null
                        || !head.tensor(ValueHead.WEIGHT).hasShape(1, base.config().hiddenSize()) || !head.tensor(ValueHead.BIAS).hasShape(1)) {
                    throw new JtuneException(headFile + ": expected " + ValueHead.WEIGHT + " [1, " + base.config().hiddenSize() + "] and "
                            + ValueHead.BIAS + " [1], found " + head.names());
                }
                weight = head.tensor(ValueHead.WEIGHT).toFloatArray();
                bias = head.tensor(ValueHead.BIAS).toFloatArray()[0];
            }
            return new RewardScorer(base, model, adapter, HfTokenizer.load(modelDir), weight, bias, name);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    /** The served model's name: its folder, with the adapter's. */
    public String modelName() {
        return name;
    }

    /**
     * The score of each text, in order.
     *
     * @param maxLength the most tokens of a text that are scored (its first ones); null for max_position_embeddings
     * @throws JtuneException for a text with no token, or a max_length below 1
     */
    public synchronized double[] scores(List<String> texts, Integer maxLength) {
        int limit = maxLength != null ? maxLength : model.config().maxPositionEmbeddings();
        if (limit < 1) throw new JtuneException("max_length: " + limit + " leaves no token to score; use 1 or more");
        double[] scores = new double[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = tokenizer.encode(texts.get(i), false);
            if (ids.length == 0) throw new JtuneException("messages[" + i + "]: an empty text has no token to score");
            if (ids.length > limit) ids = Arrays.copyOf(ids, limit); // transformers truncates on the right by default
            int[] labels = new int[ids.length];
            Arrays.fill(labels, Batch.IGNORE_INDEX);
            Batch batch = Batch.of(new int[][] {ids}, new int[][] {labels});
            float[] h = model.forward(batch, adapter, false, new int[] {ids.length - 1}).hidden();
            double s = headBias;
            for (int j = 0; j < headWeight.length; j++) s += (double) headWeight[j] * h[j];
            scores[i] = s;
        }
        return scores;
    }

    @Override
    public void close() {
        base.close();
    }
}
