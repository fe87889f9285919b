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
 * Supervised fine-tuning (LLaMA-Factory's SupervisedDatasetProcessor): every turn's prompt is
 * masked with -100 and its response is learned; with mask_history only the last turn is learned
 * (the turns are then laid out last-first while cutting, so the last turn survives the cutoff);
 * with train_on_prompt prompts are learned too. Turns are cut to cutoff_len with infer_seqlen.
 * Efficient-EOS templates put the EOS at the start of the next prompt's labels and at the end.
 */
class SupervisedProcessor implements DatasetProcessor {
    protected final DataOptions options;
    protected final Template template;
    protected final ChatTokenizer tok;

    SupervisedProcessor(DataOptions options, Template template, ChatTokenizer tok) {
        this.options = options;
        this.template = template;
        this.tok = tok;
    }

    @Override
    public List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips) {
        List<TokenizedExample> out = new ArrayList<>();
        for (AlignedExample ex : batch) {
            int[][] encoded = encodeOrSkip(ex, skips);
            if (encoded != null) out.add(TokenizedExample.of(TokenizedExample.INPUT_IDS, encoded[0],
                    TokenizedExample.LABELS, encoded[1]));
        }
        return out;
    }

    /** {input_ids, labels} of one example, or null after counting why it was skipped. */
    protected int[][] encodeOrSkip(AlignedExample ex, SkipReport skips) {
        if (ex.response().size() != 1) {
            skips.skip("no response", ex.origin(), "a supervised example needs exactly one answer, found "
                    + ex.response().size() + " (is the response column set and a string?)");
            return null;
        }
        if (ex.prompt().size() % 2 != 1) {
            skips.skip("prompt does not end with a user turn", ex.origin(), ex.prompt().size() + " prompt turns");
            return null;
        }
        if (ex.response().getFirst().content().isEmpty()) {
            skips.skip("empty response", ex.origin(), "the answer is an empty string");
            return null;
        }
        try {
            return encode(ex);
        } catch (InvalidRecordException e) {
            skips.skip(e.reason(), ex.origin(), e.getMessage());
            return null;
        }
    }

    private int[][] encode(AlignedExample ex) {
        List<Message> messages = new ArrayList<>(ex.prompt());
        messages.addAll(ex.response());
        boolean discardingHistoryCot = options.maskHistory() && !template.preserveThinking();
        List<Template.EncodedPair> pairs = template.encodeMultiturn(tok, messages, ex.system(), ex.tools(),
                discardingHistoryCot);
        int cutoff = options.effectiveCutoffLen();
        int total = template.efficientEos() ? 1 : 0;
        if (options.maskHistory()) pairs = pairs.reversed(); // the last turns have priority
        List<int[]> inputParts = new ArrayList<>();
        List<int[]> labelParts = new ArrayList<>();
        for (int turn = 0; turn < pairs.size(); turn++) {
            if (total >= cutoff) break;
            int[] source = pairs.get(turn).prompt();
            int[] target = pairs.get(turn).response();
            int[] lens = SequenceLength.infer(source.length, target.length, cutoff - total);
            source = Arrays.copyOf(source, lens[0]);
            target = Arrays.copyOf(target, lens[1]);
            total += lens[0] + lens[1];

            int[] sourceLabel;
            if (options.trainOnPrompt()) {
                sourceLabel = source;
            } else if (template.efficientEos() && turn != 0) {
                sourceLabel = filled(lens[0], IGNORE_INDEX);
                if (lens[0] > 0) sourceLabel[0] = tok.eosId();
            } else {
                sourceLabel = filled(lens[0], IGNORE_INDEX);
            }
            int[] targetLabel = options.maskHistory() && turn != 0 ? filled(lens[1], IGNORE_INDEX) : target;
            if (options.maskHistory()) {
                inputParts.addAll(0, List.of(source, target));
                labelParts.addAll(0, List.of(sourceLabel, targetLabel));
            } else {
                inputParts.addAll(List.of(source, target));
                labelParts.addAll(List.of(sourceLabel, targetLabel));
            }
        }
        if (template.efficientEos()) {
            inputParts.add(new int[] {tok.eosId()});
            labelParts.add(new int[] {tok.eosId()});
        }
        return new int[][] {concat(inputParts), concat(labelParts)};
    }

    static int[] filled(int n, int value) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }

    static int[] concat(List<int[]> parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
