package io.jtune.tokenizer.sentencepiece;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What jtune reads of a sentencepiece {@code tokenizer.model} (the ModelProto message of
 * sentencepiece_model.proto): the pieces with their scores and types (field 1: piece 1, score 2,
 * type 3), the trainer spec's model_type (3), treat_whitespace_as_suffix (24), byte_fallback (35)
 * and unk_surface (44), and the normalizer spec's name (1), precompiled_charsmap (2),
 * add_dummy_prefix (3, default true), remove_extra_whitespaces (4, default true) and
 * escape_whitespaces (5, default true). Defaults are the proto's.
 */
public record SentencePieceModelProto(List<Piece> pieces, ModelType modelType, boolean byteFallback,
                                      boolean treatWhitespaceAsSuffix, String unkSurface, Normalization normalization) {

    /** sentencepiece's default surface of the unknown piece when decoding: " ⁇ ". */
    public static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    public enum ModelType { UNIGRAM, BPE, WORD, CHAR }

    /** ModelProto.SentencePiece.Type, numbered as in the proto (1..6). */
    public enum PieceType { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    public record Piece(String piece, float score, PieceType type) {}

    /**
     * @param ruleName          the normalization rule's name ("identity", "nmt_nfkc", ...)
     * @param charsMap          the rule as a precompiled character map, or null when it rewrites nothing (identity)
     */
    public record Normalization(String ruleName, byte[] charsMap, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                                boolean escapeWhitespaces) {}

    public static SentencePieceModelProto read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new JtuneException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(data);
        } catch (ProtoReader.MalformedException e) {
            throw new JtuneException(file + " is not a sentencepiece model (a ModelProto protobuf): " + e.getMessage()
                    + " (a tiktoken-style tokenizer.model, as GLM-4's, is not supported yet)");
        }
    }

    static SentencePieceModelProto parse(byte[] data) {
        List<Piece> pieces = new ArrayList<>();
        ModelType modelType = ModelType.UNIGRAM;
        boolean byteFallback = false, suffix = false;
        String unkSurface = DEFAULT_UNK_SURFACE;
        Normalization normalization = new Normalization("", null, true, true, true);
        ProtoReader r = new ProtoReader(data);
        while (r.next()) {
            switch (r.field()) {
                case 1 -> pieces.add(piece(r.message()));
                case 2 -> {
                    ProtoReader t = r.message();
                    while (t.next()) {
                        switch (t.field()) {
                            case 3 -> modelType = modelType(t.int32());
                            case 24 -> suffix = t.bool();
                            case 35 -> byteFallback = t.bool();
                            case 44 -> unkSurface = t.string();
                            default -> t.skip();
                        }
                    }
                }
                case 3 -> normalization = normalization(r.message());
                default -> r.skip();
            }
        }
        if (pieces.isEmpty()) throw new ProtoReader.MalformedException("it has no pieces");
        return new SentencePieceModelProto(List.copyOf(pieces), modelType, byteFallback, suffix, unkSurface, normalization);
    }

    private static Piece piece(ProtoReader r) {
        String piece = null;
        float score = 0;
        PieceType type = PieceType.NORMAL;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> piece = r.string();
                case 2 -> score = r.float32();
                case 3 -> {
                    int t = r.int32();
                    if (t < 1 || t > 6) throw new ProtoReader.MalformedException("piece type " + t + " (allowed 1..6)");
                    type = PieceType.values()[t - 1];
                }
                default -> r.skip();
            }
        }
        if (piece == null) throw new ProtoReader.MalformedException("a piece without its text");
        return new Piece(piece, score, type);
    }

    private static ModelType modelType(int value) {
        if (value < 1 || value > 4) throw new ProtoReader.MalformedException("model_type " + value + " (allowed 1..4)");
        return ModelType.values()[value - 1];
    }

    private static Normalization normalization(ProtoReader r) {
        String name = "";
        byte[] charsMap = null;
        boolean dummyPrefix = true, removeExtra = true, escape = true;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> {
                    byte[] blob = r.bytes();
                    charsMap = blob.length > 0 ? blob : null;
                }
                case 3 -> dummyPrefix = r.bool();
                case 4 -> removeExtra = r.bool();
                case 5 -> escape = r.bool();
                default -> r.skip();
            }
        }
        return new Normalization(name, charsMap, dummyPrefix, removeExtra, escape);
    }
}
