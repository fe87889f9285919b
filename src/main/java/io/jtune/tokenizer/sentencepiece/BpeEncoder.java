package io.jtune.tokenizer.sentencepiece;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * sentencepiece's BPE segmentation: the normalized text starts as characters (a user-defined symbol
 * as one frozen symbol); the adjacent pair whose joined text is a piece of highest score merges
 * first (on equal scores the leftmost), until no pair joins into a piece. A merged piece of type
 * unused is split back into the two symbols it was made of.
 */
final class BpeEncoder implements SentencePieceProcessor.Segmenter {
    private final SentencePieceProcessor vocab;

    BpeEncoder(SentencePieceProcessor vocab) {
        this.vocab = vocab;
    }

    private record Pair(int left, int right, float score, int length) {}

    private static final class Symbol {
        int prev, next;
        boolean frozen;
        int start, length;   // the symbol's text in the normalized string; length 0 once merged away
    }

    @Override
    public List<SentencePieceProcessor.Segment> segment(String normalized) {
        if (normalized.isEmpty()) return List.of();
        List<Symbol> symbols = new ArrayList<>();
        for (int pos = 0; pos < normalized.length(); ) {
            Symbol s = new Symbol();
            int userDefined = vocab.userDefinedLength(normalized, pos);
            s.frozen = userDefined > 0;
            s.start = pos;
            s.length = userDefined > 0 ? userDefined : Character.charCount(normalized.codePointAt(pos));
            s.prev = symbols.size() - 1;
            pos += s.length;
            s.next = pos < normalized.length() ? symbols.size() + 1 : -1;
            symbols.add(s);
        }
        PriorityQueue<Pair> agenda = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        Map<String, String[]> reverseMerge = new HashMap<>();
        for (int i = 1; i < symbols.size(); i++) maybeAdd(normalized, symbols, i - 1, i, agenda, reverseMerge);
        while (!agenda.isEmpty()) {
            Pair top = agenda.poll();
            Symbol left = symbols.get(top.left), right = symbols.get(top.right);
            if (left.length == 0 || right.length == 0 || left.length + right.length != top.length) continue;  // stale
            left.length += right.length;
            left.next = right.next;
            if (right.next >= 0) symbols.get(right.next).prev = top.left;
            right.length = 0;
            maybeAdd(normalized, symbols, left.prev, top.left, agenda, reverseMerge);
            maybeAdd(normalized, symbols, top.left, left.next, agenda, reverseMerge);
        }
        List<SentencePieceProcessor.Segment> out = new ArrayList<>();
        for (int i = 0; i != -1; i = symbols.get(i).next) {
            Symbol s = symbols.get(i);
            resegment(normalized.substring(s.start, s.start + s.length), reverseMerge, out);
        }
        return out;
    }

    private void maybeAdd(String text, List<Symbol> symbols, int left, int right, PriorityQueue<Pair> agenda,
                          Map<String, String[]> reverseMerge) {
        if (left == -1 || right == -1) return;
        Symbol l = symbols.get(left), r = symbols.get(right);
        if (l.frozen || r.frozen) return;
        int length = l.length + r.length;
        int id = vocab.matchableId(text, l.start, l.start + length);
        if (id < 0) return;
        agenda.add(new Pair(left, right, vocab.score(id), length));
        if (vocab.isUnused(id)) {
            reverseMerge.put(text.substring(l.start, l.start + length),
                    new String[] {text.substring(l.start, l.start + l.length), text.substring(r.start, r.start + r.length)});
        }
    }

    private void resegment(String piece, Map<String, String[]> reverseMerge, List<SentencePieceProcessor.Segment> out) {
        int id = vocab.pieceToId(piece);
        String[] parts = vocab.isUnused(id) ? reverseMerge.get(piece) : null;
        if (parts == null) {
            out.add(new SentencePieceProcessor.Segment(piece, id));
            return;
        }
        resegment(parts[0], reverseMerge, out);
        resegment(parts[1], reverseMerge, out);
    }
}
