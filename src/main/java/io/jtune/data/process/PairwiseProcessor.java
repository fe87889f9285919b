package io.jtune.data.process;

import static io.jtune.data.TokenizedExample.IGNORE_INDEX;

import io.jtune.data.AlignedExample;
import io.jtune.data.DataOptions;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.data.SkipReport;
import io.jtune.data.TokenizedExample;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Preference pairs for rm and dpo (LLaMA-Factory's PairwiseDatasetProcessor): one prompt, a chosen
 * and a rejected answer, cut together so both answers keep the same length budget. A pair with an
 * empty answer, or whose answers are equal, is skipped and counted (LLaMA-Factory keeps them).
 */
final class PairwiseProcessor implements DatasetProcessor {
    private final DataOptions options;
    private final Template template;
    private final ChatTokenizer tok;

    PairwiseProcessor(DataOptions options, Template template, ChatTokenizer tok) {
        this.options = options;
        this.template = template;
        this.tok = tok;
    }

    @Override
    public List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips) {
        List<TokenizedExample> out = new ArrayList<>();
        for (AlignedExample ex : batch) {
            if (ex.prompt().size() % 2 != 1 || ex.response().size() < 2) {
                skips.skip("not a preference pair", ex.origin(), ex.prompt().size() + " prompt turns, "
                        + ex.response().size() + " answers (need an odd number and chosen + rejected)");
                continue;
            }
            String chosen = ex.response().get(0).content(), rejected = ex.response().get(1).content();
            if (chosen.isBlank() || rejected.isBlank()) {
                skips.skip("empty answer in a preference pair", ex.origin(), "the " + (chosen.isBlank() ? "chosen" : "rejected")
                        + " answer is empty");
                continue;
            }
            if (chosen.equals(rejected)) {
                skips.skip("chosen equals rejected", ex.origin(), "both answers are \"" + abbreviate(chosen) + "\"; the pair teaches nothing");
                continue;
            }
            try {
                out.add(encode(ex));
            } catch (InvalidRecordException e) {
                skips.skip(e.reason(), ex.origin(), e.getMessage());
            }
        }
        return out;
    }

    private TokenizedExample encode(AlignedExample ex) {
        Template.EncodedPair chosen = template.encodeOneturn(tok, with(ex.prompt(), ex.response().get(0)), ex.system(), ex.tools());
        Template.EncodedPair rejected = template.encodeOneturn(tok, with(ex.prompt(), ex.response().get(1)), ex.system(), ex.tools());
        int[] prompt = chosen.prompt();
        int[] chosenIds = withEos(chosen.response());
        int[] rejectedIds = withEos(rejected.response());
        int[] lens = SequenceLength.infer(prompt.length, Math.max(chosenIds.length, rejectedIds.length), options.effectiveCutoffLen());
        prompt = Arrays.copyOf(prompt, lens[0]);
        chosenIds = Arrays.copyOf(chosenIds, Math.min(chosenIds.length, lens[1]));
        rejectedIds = Arrays.copyOf(rejectedIds, Math.min(rejectedIds.length, lens[1]));
        int[] ignore = SupervisedProcessor.filled(lens[0], IGNORE_INDEX);
        return TokenizedExample.of(
                "chosen_input_ids", SupervisedProcessor.concat(List.of(prompt, chosenIds)),
                "chosen_labels", SupervisedProcessor.concat(List.of(ignore, chosenIds)),
                "rejected_input_ids", SupervisedProcessor.concat(List.of(prompt, rejectedIds)),
                "rejected_labels", SupervisedProcessor.concat(List.of(ignore, rejectedIds)));
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    private int[] withEos(int[] ids) {
        if (!template.efficientEos()) return ids;
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tok.eosId();
        return out;
    }

    static List<Message> with(List<Message> prompt, Message answer) {
        List<Message> m = new ArrayList<>(prompt);
        m.add(answer);
        return m;
    }
}
