package io.jtune.tokenizer.model;

import io.jtune.util.IntList;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding, as Hugging Face's {@code BPE} model: a word is split into characters
 * (or, with byte fallback, into {@code <0xNN>} byte tokens for characters outside the vocabulary),
 * then the adjacent pair with the lowest merge rank is merged, leftmost first, until no pair merges.
 *
 * <p>Speed: merging runs on int ids with a binary heap of packed (rank, position) longs, so a word
 * of n symbols costs O(n log n) and no strings are built while merging; finished words are cached.
 */
public final class BpeModel implements TokenModel {

    /** The options of HF's BPE model that change how words are split. */
    public record Options(String unkToken, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges,
                          String continuingSubwordPrefix, String endOfWordSuffix) {
        public Options {
            continuingSubwordPrefix = continuingSubwordPrefix == null ? "" : continuingSubwordPrefix;
            endOfWordSuffix = endOfWordSuffix == null ? "" : endOfWordSuffix;
        }

        public static Options plain() {
            return new Options(null, false, false, false, "", "");
        }
    }

    /** One merge rule: the two symbols that join, in rank order. */
    public record Merge(String left, String right) {}

    private static final int CACHE_LIMIT = 200_000;
    private static final int CACHE_MAX_WORD_CHARS = 256;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final PairMergeTable merges;
    private final Options options;
    private final int unkId;
    private final int[] byteIds;            // id of <0xNN> per byte, when byte fallback is on
    private final int[] singleCharIds;      // id of each BMP char as a one-char token, -1 when absent
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final boolean splitBeforeMetaspace;

    /**
     * @param vocab  token -> id
     * @param merges merge rules in rank order; a rule whose parts or result are not in the vocabulary
     *               is reported through {@code invalidMerge}
     */
    public BpeModel(Map<String, Integer> vocab, List<Merge> merges, Options options,
                    java.util.function.BiConsumer<Integer, String> invalidMerge) {
        this.vocab = vocab;
        this.options = options;
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.idToToken = new String[maxId + 1];
        vocab.forEach((token, id) -> idToToken[id] = token);
        this.merges = new PairMergeTable(merges.size());
        int prefixLength = options.continuingSubwordPrefix().length();
        for (int rank = 0; rank < merges.size(); rank++) {
            Merge m = merges.get(rank);
            Integer left = vocab.get(m.left()), right = vocab.get(m.right());
            String rightPart = prefixLength > 0 && m.right().startsWith(options.continuingSubwordPrefix())
                    ? m.right().substring(prefixLength) : m.right();
            Integer merged = vocab.get(m.left() + rightPart);
            if (left == null || right == null || merged == null) {
                invalidMerge.accept(rank, m.left() + " " + m.right());
                continue;
            }
            this.merges.putIfAbsent(left, right, rank, merged);
        }
        Integer unk = options.unkToken() == null ? null : vocab.get(options.unkToken());
        this.unkId = unk == null ? -1 : unk;
        if (options.byteFallback()) {
            byteIds = new int[256];
            for (int b = 0; b < 256; b++) {
                Integer id = vocab.get(String.format("<0x%02X>", b));
                byteIds[b] = id == null ? -1 : id;
            }
        } else {
            byteIds = null;
        }
        splitBeforeMetaspace = noTokenHasMetaspaceInside(vocab.keySet());
        singleCharIds = new int[65536];
        Arrays.fill(singleCharIds, -1);
        vocab.forEach((token, id) -> {
            if (token.length() == 1) singleCharIds[token.charAt(0)] = id;
        });
    }

    @Override
    public Integer tokenToId(String token) {
        return vocab.get(token);
    }

    @Override
    public String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    @Override
    public int size() {
        return idToToken.length;
    }

    public Options options() {
        return options;
    }

    /**
     * Whether no token has "▁" right after another character (as in SentencePiece vocabularies,
     * where "▁" only starts a token). Then no merge can join the characters on both sides of a
     * "▁" that follows a non-"▁", so a word can be cut there without changing the result: the
     * SentencePiece-style files have no pre-tokenizer and hand the model whole sentences, and
     * cutting them into words makes the word cache work and keeps merging short.
     */
    private static boolean noTokenHasMetaspaceInside(Iterable<String> tokens) {
        boolean anyMetaspace = false;
        for (String token : tokens) {
            int at = token.indexOf(METASPACE);
            if (at < 0) continue;
            anyMetaspace = true;
            for (int i = Math.max(at, 1); i < token.length(); i++) {
                if (token.charAt(i) == METASPACE && token.charAt(i - 1) != METASPACE) return false;
            }
        }
        return anyMetaspace;
    }

    private static final char METASPACE = '\u2581';

    /** Appends the ids of one pre-tokenized word. */
    @Override
    public void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        if (splitBeforeMetaspace && word.length() > 16) {
            int start = 0;
            for (int i = 1; i < word.length(); i++) {
                if (word.charAt(i) == METASPACE && word.charAt(i - 1) != METASPACE) {
                    tokenizeCached(word.substring(start, i), out);
                    start = i;
                }
            }
            tokenizeCached(start == 0 ? word : word.substring(start), out);
            return;
        }
        tokenizeCached(word, out);
    }

    private void tokenizeCached(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = tokenizeUncached(word);
            if (word.length() <= CACHE_MAX_WORD_CHARS) {
                // A plain bound instead of LRU: clearing is rare and keeps lookups lock-free.
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] tokenizeUncached(String word) {
        if (options.ignoreMerges()) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[] {whole};
        }
        Symbols symbols = initialSymbols(word);
        symbols.mergeAll(merges);
        return symbols.ids();
    }

    /** Splits a word into its characters' ids, with byte fallback or the unknown token for the rest. */
    private Symbols initialSymbols(String word) {
        Symbols symbols = new Symbols(word.length() + 4);
        boolean affixes = !options.continuingSubwordPrefix().isEmpty() || !options.endOfWordSuffix().isEmpty();
        boolean previousWasUnk = false;
        int i = 0;
        while (i < word.length()) {
            int cp = word.codePointAt(i);
            int next = i + Character.charCount(cp);
            int id = -1;
            if (!affixes && cp < 65536) {
                id = singleCharIds[cp];
            } else {
                String piece = word.substring(i, next);
                if (affixes) {
                    if (i > 0) piece = options.continuingSubwordPrefix() + piece;
                    if (next == word.length()) piece = piece + options.endOfWordSuffix();
                }
                Integer found = vocab.get(piece);
                if (found != null) id = found;
            }
            if (id >= 0) {
                symbols.add(id);
                previousWasUnk = false;
            } else if (byteIds != null && addByteFallback(word.substring(i, next), symbols)) {
                previousWasUnk = false;
            } else if (unkId >= 0) {
                if (!(options.fuseUnk() && previousWasUnk)) symbols.add(unkId);
                previousWasUnk = true;
            }
            // With neither byte fallback nor an unknown token, HF drops the character; so do we.
            i = next;
        }
        return symbols;
    }

    private boolean addByteFallback(String character, Symbols symbols) {
        byte[] bytes = character.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteIds[b & 0xFF] < 0) return false;
        for (byte b : bytes) symbols.add(byteIds[b & 0xFF]);
        return true;
    }
}
