package io.jtune.data.process;

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
 * Prompt-only data for the online stages (LLaMA-Factory's UnsupervisedDatasetProcessor, which its
 * ppo stage reads): {@code input_ids} is the templated prompt up to the assistant's turn,
 * {@code labels} the templated answer (empty when the record has none), cut together to
 * cutoff_len. The answer's plain text is kept too, as {@value #ANSWER} (its Unicode code points),
 * because reward functions compare a completion with the dataset's answer column, not with its
 * template-formatted tokens.
 */
final class UnsupervisedProcessor implements DatasetProcessor {
    /** The feature holding the dataset answer's text, one Unicode code point per int. */
    static final String ANSWER = TokenizedExample.ANSWER_TEXT;

    private final DataOptions options;
    private final Template template;
    private final ChatTokenizer tok;

    UnsupervisedProcessor(DataOptions options, Template template, ChatTokenizer tok) {
        this.options = options;
        this.template = template;
        this.tok = tok;
    }

    @Override
    public List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips) {
        List<TokenizedExample> out = new ArrayList<>();
        for (AlignedExample ex : batch) {
            if (ex.prompt().size() % 2 != 1) {
                skips.skip("prompt does not end with a user turn", ex.origin(), ex.prompt().size() + " prompt turns");
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
        List<Message> messages = new ArrayList<>(ex.prompt());
        String answer = ex.response().size() == 1 ? ex.response().getFirst().content() : "";
        messages.add(ex.response().size() == 1 ? ex.response().getFirst() : Message.assistant(""));
        Template.EncodedPair pair = template.encodeOneturn(tok, messages, ex.system(), ex.tools());
        int[] response = pair.response();
        if (template.efficientEos()) {
            response = Arrays.copyOf(response, response.length + 1);
            response[response.length - 1] = tok.eosId();
        }
        int[] lens = SequenceLength.infer(pair.prompt().length, response.length, options.effectiveCutoffLen());
        return TokenizedExample.of(TokenizedExample.INPUT_IDS, Arrays.copyOf(pair.prompt(), lens[0]),
                TokenizedExample.LABELS, Arrays.copyOf(response, lens[1]),
                ANSWER, answer.codePoints().toArray());
    }
}
