package io.jtune.tokenizer.sentencepiece;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * sentencepiece's unigram segmentation: the Viterbi path of highest total score over the normalized
 * text, each piece scoring its log-probability (a user-defined symbol length · max_score − 0.1, so
 * that it always wins; unused pieces never match). A character no piece of its own covers becomes
 * an unknown piece scoring min_score − 10. Scores add in fp32 as in sentencepiece; on equal scores
 * the path found first (earlier start, then shorter piece) stays.
 */
final class UnigramEncoder implements SentencePieceProcessor.Segmenter {
    private static final float UNK_PENALTY = 10.0f;

    private final SentencePieceProcessor vocab;

    UnigramEncoder(SentencePieceProcessor vocab) {
        this.vocab = vocab;
    }

    @Override
    public List<SentencePieceProcessor.Segment> segment(String normalized) {
        int size = normalized.length();
        if (size == 0) return List.of();
        float unkScore = vocab.minScore() - UNK_PENALTY;
        float[] best = new float[size + 1];
        int[] startsAt = new int[size + 1], ids = new int[size + 1];
        java.util.Arrays.fill(startsAt, -1);
        int maxLength = vocab.maxPieceLength();
        for (int start = 0; start < size; ) {
            float tillHere = best[start];
            int charLength = Character.charCount(normalized.codePointAt(start));
            boolean hasSingle = false;
            for (int end = start + 1; end <= Math.min(size, start + maxLength); end++) {
                int id = vocab.matchableId(normalized, start, end);
                if (id < 0 || vocab.isUnused(id)) continue;
                int length = end - start;
                if (vocab.isUserDefined(id)) {
                    // (length * max_score - 0.1) is a double in sentencepiece, and so is its sum
                    double candidate = (vocab.utf8Length(normalized, start, end) * (double) vocab.maxScore() - 0.1) + tillHere;
                    if (startsAt[end] == -1 || candidate > best[end]) set(best, startsAt, ids, end, (float) candidate, start, id);
                } else {
                    float candidate = vocab.score(id) + tillHere;
                    if (startsAt[end] == -1 || candidate > best[end]) set(best, startsAt, ids, end, candidate, start, id);
                }
                if (length == charLength) hasSingle = true;
            }
            if (!hasSingle) {
                int end = start + charLength;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) set(best, startsAt, ids, end, candidate, start, vocab.unkId());
            }
            start += charLength;
        }
        List<SentencePieceProcessor.Segment> out = new ArrayList<>();
        for (int end = size; end > 0; end = startsAt[end]) {
            out.add(new SentencePieceProcessor.Segment(normalized.substring(startsAt[end], end), ids[end]));
        }
        Collections.reverse(out);
        return out;
    }

    private static void set(float[] best, int[] startsAt, int[] ids, int end, float score, int start, int id) {
        best[end] = score;
        startsAt[end] = start;
        ids[end] = id;
    }
}
