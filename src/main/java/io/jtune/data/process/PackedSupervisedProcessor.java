package io.jtune.data.process;

import static io.jtune.data.TokenizedExample.IGNORE_INDEX;

import io.jtune.data.AlignedExample;
import io.jtune.data.DataOptions;
import io.jtune.data.SkipReport;
import io.jtune.data.TokenizedExample;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import io.jtune.util.IntList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Packed supervised data (LLaMA-Factory's PackedSupervisedDatasetProcessor): the batch's
 * examples are encoded as for SFT, examples longer than the cutoff are dropped, and the rest are
 * grouped by the greedy knapsack into packs padded to cutoff_len (+1, as LLaMA-Factory). Position
 * ids restart at 0 for every example. With neat_packing the attention mask holds the 1-based index
 * of each token's example (0 on padding), so attention never crosses examples.
 */
final class PackedSupervisedProcessor extends SupervisedProcessor {

    PackedSupervisedProcessor(DataOptions options, Template template, ChatTokenizer tok) {
        super(options, template, tok);
    }

    @Override
    public List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips) {
        int cutoff = options.effectiveCutoffLen();
        List<int[]> inputs = new ArrayList<>();
        List<int[]> labels = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        Map<Integer, Deque<Integer>> indexesByLength = new HashMap<>();
        for (AlignedExample ex : batch) {
            int[][] encoded = encodeOrSkip(ex, skips);
            if (encoded == null) continue;
            int length = encoded[0].length;
            if (length > cutoff) {
                skips.skip("longer than cutoff_len (packing)", ex.origin(), length + " > " + cutoff + " tokens");
                continue;
            }
            lengths.add(length);
            indexesByLength.computeIfAbsent(length, k -> new ArrayDeque<>()).addLast(inputs.size());
            inputs.add(encoded[0]);
            labels.add(encoded[1]);
        }
        List<TokenizedExample> out = new ArrayList<>();
        for (List<Integer> pack : Knapsack.greedy(lengths, cutoff)) {
            IntList ids = new IntList();
            IntList labelIds = new IntList();
            IntList positions = new IntList();
            IntList mask = new IntList();
            for (int i = 0; i < pack.size(); i++) {
                int index = indexesByLength.get(pack.get(i)).removeLast(); // LLaMA-Factory pops the last one
                int[] seq = inputs.get(index);
                ids.addAll(seq);
                labelIds.addAll(labels.get(index));
                for (int p = 0; p < seq.length; p++) {
                    positions.add(p);
                    mask.add(options.neatPacking() ? i + 1 : 1);
                }
            }
            int padLength = cutoff + 1 - ids.size();
            for (int p = 0; p < padLength; p++) {
                ids.add(tok.padId());
                labelIds.add(IGNORE_INDEX);
                positions.add(0);
                mask.add(options.neatPacking() ? 0 : 1);
            }
            out.add(TokenizedExample.of(TokenizedExample.INPUT_IDS, ids.toArray(),
                    TokenizedExample.ATTENTION_MASK, mask.toArray(),
                    TokenizedExample.POSITION_IDS, positions.toArray(),
                    TokenizedExample.LABELS, labelIds.toArray()));
        }
        return out;
    }
}
