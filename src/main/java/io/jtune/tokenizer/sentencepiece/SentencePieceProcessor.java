package io.jtune.tokenizer.sentencepiece;

import io.jtune.JtuneException;
import io.jtune.tokenizer.sentencepiece.SentencePieceModelProto.PieceType;
import io.jtune.util.IntList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sentencepiece tokenizer.model run in Java, with the library's results: text is normalized
 * ({@link SentencePieceNormalizer}, with the model's precompiled normalization rule when it has one), segmented by the model's algorithm (unigram: {@link UnigramEncoder},
 * BPE: {@link BpeEncoder}), and each unknown piece becomes the UTF-8 bytes of its text as byte pieces
 * ({@code <0xE4>}) when the model has byte_fallback (otherwise runs of unknown characters are one
 * unknown id). Decoding turns ▁ back into spaces, drops the dummy prefix's space, joins byte pieces
 * into UTF-8 (each byte that starts no valid character becomes U+FFFD), shows the unknown piece as
 * its surface (" ⁇ ") and control pieces as nothing. Instances are immutable and thread-safe.
 */
public final class SentencePieceProcessor {

    /** A piece of a segmentation: its text in the normalized string and its id (the unknown id when it has none). */
    record Segment(String text, int id) {}

    /** A model type's segmentation of normalized text. */
    interface Segmenter {
        List<Segment> segment(String normalized);
    }

    private final SentencePieceModelProto proto;
    private final List<SentencePieceModelProto.Piece> pieces;
    private final Map<String, Integer> matchable = new HashMap<>();   // normal, user-defined and unused pieces
    private final Map<String, Integer> reserved = new HashMap<>();    // control, unknown and byte pieces
    private final List<String> userDefined = new ArrayList<>();       // longest first
    private final int unkId;
    private final int[] byteIds = new int[256];
    private final float minScore, maxScore;
    private final int maxPieceLength;
    private final SentencePieceNormalizer normalizer;
    private final Segmenter segmenter;

    public SentencePieceProcessor(SentencePieceModelProto proto, Path file) {
        this.proto = proto;
        this.pieces = proto.pieces();
        SentencePieceModelProto.Normalization n = proto.normalization();
        PrecompiledCharsMap charsMap;
        try {
            charsMap = n.charsMap() == null ? null : new PrecompiledCharsMap(n.charsMap());
        } catch (ProtoReader.MalformedException e) {
            throw new JtuneException(file + ": normalization rule '" + n.ruleName() + "': " + e.getMessage());
        }
        int unk = -1, longest = 1;
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        java.util.Arrays.fill(byteIds, -1);
        for (int id = 0; id < pieces.size(); id++) {
            SentencePieceModelProto.Piece p = pieces.get(id);
            Map<String, Integer> target = switch (p.type()) {
                case NORMAL, USER_DEFINED, UNUSED -> matchable;
                case CONTROL, UNKNOWN, BYTE -> reserved;
            };
            if (target.putIfAbsent(p.piece(), id) != null) throw new JtuneException(file + ": piece '" + p.piece() + "' appears twice");
            switch (p.type()) {
                case NORMAL -> {
                    min = Math.min(min, p.score());
                    max = Math.max(max, p.score());
                }
                case UNKNOWN -> {
                    if (unk >= 0) throw new JtuneException(file + ": more than one unknown piece");
                    unk = id;
                }
                case USER_DEFINED -> userDefined.add(p.piece());
                case BYTE -> byteIds[byteOf(p.piece(), file)] = id;
                default -> { }
            }
            if (p.type() != PieceType.BYTE) longest = Math.max(longest, p.piece().length());
        }
        if (unk < 0) throw new JtuneException(file + ": the model has no unknown piece (type UNKNOWN)");
        if (proto.byteFallback()) {
            for (int b = 0; b < 256; b++) {
                if (byteIds[b] < 0) throw new JtuneException(file + ": byte_fallback is on but the byte piece <0x"
                        + String.format("%02X", b) + "> is missing");
            }
        }
        userDefined.sort(Comparator.comparingInt(String::length).reversed());
        this.unkId = unk;
        this.minScore = min;
        this.maxScore = max;
        this.maxPieceLength = longest;
        this.normalizer = new SentencePieceNormalizer(n, proto.treatWhitespaceAsSuffix(), userDefined, charsMap);
        this.segmenter = switch (proto.modelType()) {
            case UNIGRAM -> new UnigramEncoder(this);
            case BPE -> new BpeEncoder(this);
            default -> throw new JtuneException(file + ": sentencepiece model_type " + proto.modelType()
                    + " is not supported yet; supported: UNIGRAM, BPE");
        };
    }

    /** Reads and checks a tokenizer.model. */
    public static SentencePieceProcessor load(Path file) {
        return new SentencePieceProcessor(SentencePieceModelProto.read(file), file);
    }

    public SentencePieceModelProto proto() { return proto; }

    /** The number of pieces (ids 0 .. size − 1). */
    public int size() { return pieces.size(); }

    public int unkId() { return unkId; }

    /** The id of a piece of type control (e.g. "<s>", "</s>"), or -1. */
    public int controlId(String piece) {
        Integer id = reserved.get(piece);
        return id != null && pieces.get(id).type() == PieceType.CONTROL ? id : -1;
    }

    public String idToPiece(int id) {
        return id >= 0 && id < pieces.size() ? pieces.get(id).piece() : null;
    }

    public PieceType type(int id) { return pieces.get(id).type(); }

    /** sentencepiece's PieceToId: a reserved piece, else a normal/user-defined/unused one, else the unknown id. */
    public int pieceToId(String piece) {
        Integer id = reserved.get(piece);
        if (id != null) return id;
        id = matchable.get(piece);
        return id != null ? id : unkId;
    }

    /** The exact id of a piece, or null when the model has no such piece. */
    public Integer findPiece(String piece) {
        Integer id = reserved.get(piece);
        return id != null ? id : matchable.get(piece);
    }

    /** The text as the model sees it (▁ for spaces, the dummy prefix). */
    public String normalize(String text) {
        return normalizer.normalize(text);
    }

    /** Encodes text as sentencepiece's encode(text) does (no BOS/EOS). */
    public int[] encode(String text) {
        IntList out = new IntList(text.length() + 4);
        encodeNormalized(normalize(text), out);
        return out.toArray();
    }

    /** Segments already-normalized text and appends its ids (byte fallback and unknown runs applied). */
    public void encodeNormalized(String normalized, IntList out) {
        boolean prevUnknown = false;
        for (Segment s : segmenter.segment(normalized)) {
            boolean unknown = s.id() == unkId;
            if (unknown && proto.byteFallback()) {
                for (byte b : s.text().getBytes(StandardCharsets.UTF_8)) out.add(byteIds[b & 0xFF]);
            } else if (!(unknown && prevUnknown)) {
                out.add(s.id());
            }
            prevUnknown = unknown;
        }
    }

    /** Decodes ids as sentencepiece's decode(ids) does. */
    public String decode(int[] ids) {
        List<String> surfaces = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= pieces.size()) throw new JtuneException("token id " + id + " is out of range (0.." + (pieces.size() - 1) + ")");
            surfaces.add(pieces.get(id).piece());
        }
        return decodePieces(surfaces);
    }

    /**
     * Decodes piece strings as sentencepiece's DecodePieces does: a string that is no piece of the
     * model counts as the unknown piece but shows as itself (how added tokens pass through).
     */
    public String decodePieces(List<String> pieceTexts) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean bosWhitespace = true, bosWhitespaceSeen = false;
        boolean consumeLeading = proto.normalization().addDummyPrefix() || proto.normalization().removeExtraWhitespaces();
        for (String piece : pieceTexts) {
            Integer found = findPiece(piece);
            int id = found != null ? found : unkId;
            if (pieces.get(id).type() == PieceType.BYTE) {
                bytes.write(byteOf(piece, null));
                continue;
            }
            appendUtf8(bytes.toByteArray(), text);
            bytes.reset();
            if (bosWhitespaceSeen || !text.isEmpty()) bosWhitespace = false;
            PieceType type = pieces.get(id).type();
            String surface;
            bosWhitespaceSeen = false;
            if (type == PieceType.CONTROL) {
                surface = "";
            } else if (type == PieceType.UNKNOWN) {
                surface = pieces.get(id).piece().equals(piece) ? proto.unkSurface() : piece;
            } else {
                String p = piece;
                if (bosWhitespace && consumeLeading && p.startsWith(SentencePieceNormalizer.SPACE_SYMBOL)) {
                    p = p.substring(1);
                    // with remove_extra_whitespaces every leading space goes, so the next piece may consume one too
                    bosWhitespaceSeen = !proto.normalization().removeExtraWhitespaces();
                }
                surface = p.replace(SentencePieceNormalizer.SPACE_SYMBOL, " ");
            }
            text.append(surface);
        }
        appendUtf8(bytes.toByteArray(), text);
        return text.toString();
    }

    /**
     * UTF-8 as sentencepiece decodes byte pieces: one character at a time; a byte that does not start
     * a complete, shortest-form character (or a surrogate or a code point past U+10FFFF) becomes
     * U+FFFD on its own, and decoding goes on at the next byte.
     */
    static void appendUtf8(byte[] b, StringBuilder out) {
        int i = 0;
        while (i < b.length) {
            int c = b[i] & 0xFF, length, min, cp;
            if (c < 0x80) { out.append((char) c); i++; continue; }
            else if (c >= 0xC2 && c <= 0xDF) { length = 2; min = 0x80; cp = c & 0x1F; }
            else if (c >= 0xE0 && c <= 0xEF) { length = 3; min = 0x800; cp = c & 0x0F; }
            else if (c >= 0xF0 && c <= 0xF4) { length = 4; min = 0x10000; cp = c & 0x07; }
            else { out.append('\uFFFD'); i++; continue; }
            boolean valid = i + length <= b.length;
            for (int k = 1; valid && k < length; k++) {
                int cc = b[i + k] & 0xFF;
                if ((cc & 0xC0) != 0x80) valid = false;
                else cp = (cp << 6) | (cc & 0x3F);
            }
            if (valid && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
            if (!valid) { out.append('\uFFFD'); i++; continue; }
            out.appendCodePoint(cp);
            i += length;
        }
    }

    // ---- what the segmenters ask ----

    /** The id of normalized[start, end) among the pieces a segmentation may use, or -1. */
    int matchableId(String s, int start, int end) {
        Integer id = matchable.get(s.substring(start, end));
        return id == null ? -1 : id;
    }

    boolean isUnused(int id) { return id >= 0 && pieces.get(id).type() == PieceType.UNUSED; }

    boolean isUserDefined(int id) { return pieces.get(id).type() == PieceType.USER_DEFINED; }

    float score(int id) { return pieces.get(id).score(); }

    float minScore() { return minScore; }

    float maxScore() { return maxScore; }

    int maxPieceLength() { return maxPieceLength; }

    /** The length of the longest user-defined symbol at pos, or 0. */
    int userDefinedLength(String s, int pos) {
        for (String symbol : userDefined) if (s.startsWith(symbol, pos)) return symbol.length();
        return 0;
    }

    int utf8Length(String s, int start, int end) {
        return s.substring(start, end).getBytes(StandardCharsets.UTF_8).length;
    }

    private static int byteOf(String piece, Path file) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw new JtuneException((file == null ? "" : file + ": ") + "byte piece '" + piece + "' is not of the form <0xHH>");
    }
}
