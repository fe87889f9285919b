package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.PpoArguments;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.model.CausalLM;
import io.jtune.tokenizer.Tokenizer;
import io.jtune.train.reward.HttpReward;
import io.jtune.train.reward.RewardFunction;
import io.jtune.train.reward.RewardModelReward;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Stage ppo's reward model, by reward_model_type as LLaMA-Factory's create_reward_model reads it: lora,
 * an rm adapter (with its value head) over the policy's own base, so one base serves policy, reference
 * and reward; full, a separate rm model (with reward_model_adapters, an rm adapter over it); api, a
 * scoring server that gets the prompt and response decoded together, special tokens kept, and answers
 * {"scores": [...]}. The score of a completion is the value at its last token.
 */
final class PpoRewardModel {
    private PpoRewardModel() {}

    static RewardFunction open(PpoArguments ppo, CausalLM policy, Tokenizer tokenizer) {
        String spec = ppo.rewardModel();
        return switch (ppo.rewardModelType()) {
            case "api" -> new HttpReward("reward_model", URI.create(spec), Duration.ofSeconds(60),
                    s -> tokenizer.decode(concat(s.promptIds(), s.completionIds()), false));
            case "lora" -> {
                Path dir = Path.of(spec);
                if (!Files.isRegularFile(dir.resolve("adapter_config.json")) || !RewardModelReward.isRewardModel(dir)) {
                    throw new JtuneException("reward_model: " + dir + " is not an rm adapter (adapter_config.json and value_head.safetensors,"
                            + " as stage rm with finetuning_type lora writes them); for a full rm model set reward_model_type: full");
                }
                yield RewardModelReward.load(dir, () -> policy);
            }
            case "full" -> {
                Path dir = ModelLocator.fromEnvironment().locate(spec, null, HubClient.DownloadProgress.SILENT);
                Path adapter = ppo.rewardModelAdapters() == null ? null : Path.of(ppo.rewardModelAdapters());
                yield RewardModelReward.loadFull(dir, adapter, policy.config().vocabSize());
            }
            default -> throw new JtuneException("reward_model_type: '" + ppo.rewardModelType() + "' is not one of lora, full, api");
        };
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
