package io.jtune.tokenizer.train;

import io.jtune.tokenizer.text.ByteLevelAlphabet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns a byte-level BPE vocabulary (the kind GPT-2, Llama 3 and Qwen use) from text.
 *
 * <p>The text is split into words with Qwen2's pre-tokenizer pattern, each word becomes a string of
 * byte-level symbols, and the most frequent adjacent pair is merged again and again until the
 * vocabulary is full. Pair counts are updated incrementally: a merge touches only the words that
 * contain the pair, so training on a few megabytes takes seconds. Ties between equally frequent
 * pairs go to the lexicographically smaller pair, so the result is deterministic.
 */
public final class BpeTrainer {
    /** Qwen2's split pattern (contractions, letter runs, single digits, punctuation, newlines, spaces). */
    public static final String SPLIT_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final Pattern SPLIT = Pattern.compile(SPLIT_PATTERN);

    /** The learned vocabulary in id order (the 256 byte symbols first) and the merges in rank order. */
    public record Vocabulary(List<String> tokens, List<String[]> merges) {}

    private final List<String> symbols = new ArrayList<>();
    private final Map<String, Integer> symbolIds = new HashMap<>();
    private final List<int[]> words = new ArrayList<>();
    private final List<Long> wordFreqs = new ArrayList<>();
    private final Map<Long, Long> pairCounts = new HashMap<>();
    private final Map<Long, Set<Integer>> pairWords = new HashMap<>();

    private BpeTrainer() {
        for (int b = 0; b < 256; b++) addSymbol(String.valueOf(ByteLevelAlphabet.charOf(b)));
    }

    /**
     * Learns merges until the vocabulary has {@code vocabSize} tokens (bytes included) or no pair occurs
     * at least {@code minFrequency} times.
     */
    public static Vocabulary train(Iterable<String> texts, int vocabSize, int minFrequency) {
        if (vocabSize < 256) throw new IllegalArgumentException("a byte-level vocabulary needs at least 256 tokens");
        BpeTrainer t = new BpeTrainer();
        t.countWords(texts);
        List<String[]> merges = new ArrayList<>();
        PriorityQueue<PairCount> queue = new PriorityQueue<>();
        t.pairCounts.forEach((pair, count) -> queue.add(t.entry(pair, count)));
        while (t.symbols.size() < vocabSize && !queue.isEmpty()) {
            PairCount best = queue.poll();
            Long current = t.pairCounts.get(best.pair);
            if (current == null || current != best.count) continue; // stale entry: the count changed since
            if (best.count < minFrequency) break;
            merges.add(new String[] {best.left, best.right});
            t.merge(best.pair, queue);
        }
        return new Vocabulary(List.copyOf(t.symbols), merges);
    }

    private void countWords(Iterable<String> texts) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String text : texts) {
            Matcher m = SPLIT.matcher(text);
            while (m.find()) {
                counts.merge(ByteLevelAlphabet.encode(m.group()), 1L, Long::sum);
            }
        }
        counts.forEach((word, freq) -> {
            int[] syms = new int[word.length()];
            for (int i = 0; i < syms.length; i++) syms[i] = symbolIds.get(String.valueOf(word.charAt(i)));
            int index = words.size();
            words.add(syms);
            wordFreqs.add(freq);
            addPairs(index, syms, freq);
        });
    }

    /** Replaces every occurrence of the pair in the words that hold it, updating the pair counts. */
    private void merge(long pair, PriorityQueue<PairCount> queue) {
        int left = (int) (pair >>> 32), right = (int) pair;
        int merged = addSymbol(symbols.get(left) + symbols.get(right));
        Set<Long> touched = new HashSet<>(); // pairs whose count changed: they get a fresh queue entry
        for (int w : List.copyOf(pairWords.getOrDefault(pair, Set.of()))) {
            int[] old = words.get(w);
            int[] replaced = mergeInWord(old, left, right, merged);
            if (replaced.length == old.length) continue; // the word lost this pair in an earlier merge
            long freq = wordFreqs.get(w);
            removePairs(old, freq, touched);
            words.set(w, replaced);
            addPairs(w, replaced, freq);
            for (int i = 0; i + 1 < replaced.length; i++) touched.add(pairKey(replaced[i], replaced[i + 1]));
        }
        pairCounts.remove(pair);
        pairWords.remove(pair);
        touched.remove(pair);
        for (long p : touched) {
            Long c = pairCounts.get(p);
            if (c != null) queue.add(entry(p, c)); // older entries for p are now stale and skipped
        }
    }

    private static int[] mergeInWord(int[] word, int left, int right, int merged) {
        int[] next = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                next[n++] = merged;
                i++;
            } else {
                next[n++] = word[i];
            }
        }
        return java.util.Arrays.copyOf(next, n);
    }

    private void addPairs(int word, int[] syms, long freq) {
        for (int i = 0; i + 1 < syms.length; i++) {
            long p = pairKey(syms[i], syms[i + 1]);
            pairCounts.merge(p, freq, Long::sum);
            pairWords.computeIfAbsent(p, k -> new HashSet<>()).add(word);
        }
    }

    /** Takes a word's pairs out of the counts. Its entries in pairWords stay; merge() skips words that lost a pair. */
    private void removePairs(int[] syms, long freq, Set<Long> touched) {
        for (int i = 0; i + 1 < syms.length; i++) {
            long p = pairKey(syms[i], syms[i + 1]);
            touched.add(p);
            if (pairCounts.merge(p, -freq, Long::sum) <= 0) {
                pairCounts.remove(p);
                pairWords.remove(p);
            }
        }
    }

    private PairCount entry(long pair, long count) {
        return new PairCount(pair, count, symbols.get((int) (pair >>> 32)), symbols.get((int) pair));
    }

    private int addSymbol(String s) {
        Integer id = symbolIds.get(s);
        if (id != null) return id;
        symbols.add(s);
        symbolIds.put(s, symbols.size() - 1);
        return symbols.size() - 1;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    /** Queue order: the highest count first, then the lexicographically smaller pair. */
    private record PairCount(long pair, long count, String left, String right) implements Comparable<PairCount> {
        @Override
        public int compareTo(PairCount o) {
            if (count != o.count) return Long.compare(o.count, count);
            int c = left.compareTo(o.left);
            return c != 0 ? c : right.compareTo(o.right);
        }
    }
}
