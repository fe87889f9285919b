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
 * KTO data (LLaMA-Factory's FeedbackDatasetProcessor): an answer with a desirable/undesirable tag,
 * plus a KL pair made of the same prompt and the answer of the previous record in the batch (the
 * first record takes the last one's), which KTO uses to estimate its reference KL term.
 */
final class FeedbackProcessor implements DatasetProcessor {
    private final DataOptions options;
    private final Template template;
    private final ChatTokenizer tok;

    FeedbackProcessor(DataOptions options, Template template, ChatTokenizer tok) {
        this.options = options;
        this.template = template;
        this.tok = tok;
    }

    @Override
    public List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips) {
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            AlignedExample ex = batch.get(i);
            List<Message> klResponse = batch.get((i - 1 + batch.size()) % batch.size()).response();
            if (ex.prompt().size() % 2 != 1 || ex.response().size() < 2 || klResponse.size() < 2) {
                skips.skip("not a KTO example", ex.origin(), "needs a prompt ending with a user turn, an answer and a "
                        + "boolean kto_tag");
                continue;
            }
            try {
                out.add(encode(ex, klResponse));
            } catch (InvalidRecordException e) {
                skips.skip(e.reason(), ex.origin(), e.getMessage());
            }
        }
        return out;
    }

    private TokenizedExample encode(AlignedExample ex, List<Message> klResponse) {
        boolean desirable = !ex.response().get(0).content().isEmpty();
        Message answer = desirable ? ex.response().get(0) : ex.response().get(1);
        Message klAnswer = !klResponse.get(0).content().isEmpty() ? klResponse.get(0) : klResponse.get(1);
        int[][] main = encodePair(ex, answer);
        int[][] kl = encodePair(ex, klAnswer);
        return TokenizedExample.of(TokenizedExample.INPUT_IDS, main[0], TokenizedExample.LABELS, main[1],
                "kl_input_ids", kl[0], "kl_labels", kl[1], "kto_tags", new int[] {desirable ? 1 : 0});
    }

    private int[][] encodePair(AlignedExample ex, Message answer) {
        Template.EncodedPair pair = template.encodeOneturn(tok, PairwiseProcessor.with(ex.prompt(), answer), ex.system(), ex.tools());
        int[] prompt = pair.prompt();
        int[] response = pair.response();
        if (template.efficientEos()) {
            response = Arrays.copyOf(response, response.length + 1);
            response[response.length - 1] = tok.eosId();
        }
        int[] lens = SequenceLength.infer(prompt.length, response.length, options.effectiveCutoffLen());
        prompt = Arrays.copyOf(prompt, lens[0]);
        response = Arrays.copyOf(response, lens[1]);
        return new int[][] {
            SupervisedProcessor.concat(List.of(prompt, response)),
            SupervisedProcessor.concat(List.of(SupervisedProcessor.filled(lens[0], IGNORE_INDEX), response))
        };
    }
}
