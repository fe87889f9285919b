package io.jtune.data.process;

import io.jtune.JtuneException;
import io.jtune.data.AlignedExample;
import io.jtune.data.DataOptions;
import io.jtune.data.SkipReport;
import io.jtune.data.TokenizedExample;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import java.util.List;

/**
 * Turns aligned examples into token ids and labels for one training stage (LLaMA-Factory's
 * processor/*.py). Works on one preprocessing batch at a time, because packing and KTO's KL pairs
 * act within a batch exactly as LLaMA-Factory's batched map does.
 */
public interface DatasetProcessor {

    List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips);

    /** The stage's processor: pt, sft (packed or not), rm/dpo (pairs), kto or ppo (prompts, for the online stages). */
    static DatasetProcessor forStage(DataOptions options, Template template, ChatTokenizer tokenizer) {
        return switch (options.stage()) {
            case "pt" -> new PretrainProcessor(options, template, tokenizer);
            case "sft" -> options.effectivePacking()
                    ? new PackedSupervisedProcessor(options, template, tokenizer)
                    : new SupervisedProcessor(options, template, tokenizer);
            case "rm", "dpo" -> new PairwiseProcessor(options, template, tokenizer);
            case "kto" -> new FeedbackProcessor(options, template, tokenizer);
            case "ppo" -> new UnsupervisedProcessor(options, template, tokenizer);
            default -> throw new JtuneException("Stage '" + options.stage() + "' has no dataset processor in jtune yet; "
                    + "supported: pt, sft, rm, dpo, kto, ppo (prompt-only).");
        };
    }
}
