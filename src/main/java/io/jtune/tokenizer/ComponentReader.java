package io.jtune.tokenizer;

import io.jtune.tokenizer.text.Decoder;
import io.jtune.tokenizer.text.HfRegex;
import io.jtune.tokenizer.text.Normalizer;
import io.jtune.tokenizer.text.PostProcessor;
import io.jtune.tokenizer.text.PreTokenizer;
import io.jtune.tokenizer.text.SplitBehavior;
import io.jtune.tokenizer.text.WordScanner;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Builds normalizers, pre-tokenizers, post-processors and decoders from tokenizer.json sections. */
final class ComponentReader {
    static final String NORMALIZERS = "NFC, NFKC, NFD, NFKD, Lowercase, Prepend, Replace, Strip, Sequence";
    static final String PRE_TOKENIZERS = "ByteLevel, Split, Metaspace, Digits, Sequence";
    static final String POST_PROCESSORS = "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence";
    static final String DECODERS = "ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence";

    private ComponentReader() {}

    static Normalizer normalizer(JsonSpot spot) {
        if (spot.isMissing()) return null;
        String type = spot.get("type").text();
        return switch (type) {
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Prepend" -> new Normalizer.Prepend(spot.get("prepend").text());
            case "Replace" -> new Normalizer.Replace(pattern(spot.get("pattern")), literal(spot.get("pattern")), spot.get("content").text());
            case "Strip" -> new Normalizer.Strip(spot.get("strip_left").bool(true), spot.get("strip_right").bool(true));
            case "Sequence" -> new Normalizer.Sequence(list(spot.get("normalizers"), ComponentReader::normalizer));
            default -> throw spot.get("type").unsupported("normalizer", type, NORMALIZERS);
        };
    }

    static PreTokenizer preTokenizer(JsonSpot spot) {
        if (spot.isMissing()) return null;
        String type = spot.get("type").text();
        return switch (type) {
            case "ByteLevel" -> new PreTokenizer.ByteLevel(spot.get("add_prefix_space").bool(true), spot.get("use_regex").bool(true));
            case "Split" -> split(spot);
            case "Metaspace" -> new PreTokenizer.Metaspace(replacement(spot), prependScheme(spot), spot.get("split").bool(true));
            case "Digits" -> new PreTokenizer.Digits(spot.get("individual_digits").bool(false));
            case "Sequence" -> new PreTokenizer.Sequence(list(spot.get("pretokenizers"), ComponentReader::preTokenizer));
            default -> throw spot.get("type").unsupported("pre_tokenizer", type, PRE_TOKENIZERS);
        };
    }

    static PostProcessor postProcessor(JsonSpot spot) {
        if (spot.isMissing()) return null;
        String type = spot.get("type").text();
        return switch (type) {
            case "ByteLevel" -> new PostProcessor.Identity();
            case "TemplateProcessing" -> template(spot);
            case "RobertaProcessing", "BertProcessing" -> new PostProcessor.Template(List.of(
                    specialPair(spot.get("cls")), PostProcessor.Piece.sequence(), specialPair(spot.get("sep"))));
            case "Sequence" -> new PostProcessor.Sequence(list(spot.get("processors"), ComponentReader::postProcessor));
            default -> throw spot.get("type").unsupported("post_processor", type, POST_PROCESSORS);
        };
    }

    static Decoder decoder(JsonSpot spot) {
        if (spot.isMissing()) return null;
        String type = spot.get("type").text();
        return switch (type) {
            case "ByteLevel" -> new Decoder.ByteLevel();
            case "Metaspace" -> new Decoder.Metaspace(replacement(spot), prependScheme(spot) != PreTokenizer.PrependScheme.NEVER);
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> new Decoder.Strip(spot.get("content").text(), spot.get("start").integer(0), spot.get("stop").integer(0));
            case "Replace" -> new Decoder.Replace(pattern(spot.get("pattern")), spot.get("content").text());
            case "Sequence" -> new Decoder.Sequence(list(spot.get("decoders"), ComponentReader::decoder));
            default -> throw spot.get("type").unsupported("decoder", type, DECODERS);
        };
    }

    private static PreTokenizer split(JsonSpot spot) {
        SplitBehavior behavior = behavior(spot.get("behavior"));
        boolean invert = spot.get("invert").bool(false);
        JsonSpot regex = spot.get("pattern").get("Regex");
        // Known patterns (GPT-2, Llama 3, Qwen) get their fast scanner; invert needs the regex.
        WordScanner scanner = regex.isMissing() || invert ? null : WordScanner.forPattern(regex.text());
        return new PreTokenizer.Split(pattern(spot.get("pattern")), behavior, invert, scanner);
    }

    /** {"String": "..."} is a literal, {"Regex": "..."} an Oniguruma regex. */
    static Pattern pattern(JsonSpot spot) {
        if (!spot.get("String").isMissing()) return Pattern.compile(Pattern.quote(spot.get("String").text()));
        JsonSpot regex = spot.get("Regex");
        if (regex.isMissing()) throw spot.error("expected {\"String\": ...} or {\"Regex\": ...}");
        try {
            return HfRegex.compile(regex.text());
        } catch (PatternSyntaxException e) {
            throw regex.error("this regex does not compile in Java: " + e.getDescription());
        }
    }

    /** The literal of a {"String": ...} pattern, or null for a regex. */
    private static String literal(JsonSpot spot) {
        return spot.get("String").isMissing() ? null : spot.get("String").text();
    }

    private static SplitBehavior behavior(JsonSpot spot) {
        String name = spot.text();
        return switch (name) {
            case "Removed" -> SplitBehavior.REMOVED;
            case "Isolated" -> SplitBehavior.ISOLATED;
            case "MergedWithPrevious" -> SplitBehavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> SplitBehavior.MERGED_WITH_NEXT;
            case "Contiguous" -> SplitBehavior.CONTIGUOUS;
            default -> throw spot.error("unknown split behavior '" + name
                    + "'; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
        };
    }

    private static String replacement(JsonSpot spot) {
        // Files written by old versions of tokenizers call it str_rep.
        return spot.get("replacement").textOr(spot.get("str_rep").textOr("\u2581"));
    }

    private static PreTokenizer.PrependScheme prependScheme(JsonSpot spot) {
        JsonSpot scheme = spot.get("prepend_scheme");
        if (scheme.isMissing()) {
            // Before prepend_scheme existed, add_prefix_space=true meant "always".
            return spot.get("add_prefix_space").bool(true) ? PreTokenizer.PrependScheme.ALWAYS : PreTokenizer.PrependScheme.NEVER;
        }
        return switch (scheme.text()) {
            case "always" -> PreTokenizer.PrependScheme.ALWAYS;
            case "first" -> PreTokenizer.PrependScheme.FIRST;
            case "never" -> PreTokenizer.PrependScheme.NEVER;
            default -> throw scheme.error("unknown prepend_scheme '" + scheme.text() + "'; expected always, first or never");
        };
    }

    private static PostProcessor template(JsonSpot spot) {
        JsonSpot single = spot.get("single");
        JsonSpot specials = spot.get("special_tokens");
        List<PostProcessor.Piece> pieces = new ArrayList<>();
        for (int i = 0; i < single.size(); i++) {
            JsonSpot item = single.get(i);
            if (!item.get("Sequence").isMissing()) {
                String which = item.get("Sequence").get("id").text();
                if (!which.equals("A")) throw item.error("the single template can only hold sequence A");
                pieces.add(PostProcessor.Piece.sequence());
            } else if (!item.get("SpecialToken").isMissing()) {
                String name = item.get("SpecialToken").get("id").text();
                JsonSpot ids = specials.get(name).get("ids");
                if (ids.isMissing()) throw specials.error("no entry for special token '" + name + "' used by the template");
                int[] values = new int[ids.size()];
                for (int k = 0; k < values.length; k++) values[k] = ids.get(k).integer(-1);
                pieces.add(new PostProcessor.Piece(values));
            } else {
                throw item.error("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
            }
        }
        return new PostProcessor.Template(pieces);
    }

    /** Roberta/Bert processors name their tokens as ["<s>", 0]. */
    private static PostProcessor.Piece specialPair(JsonSpot spot) {
        if (spot.size() != 2) throw spot.error("expected [token, id]");
        return new PostProcessor.Piece(new int[] {spot.get(1).integer(-1)});
    }

    private static <T> List<T> list(JsonSpot spot, Function<JsonSpot, T> reader) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < spot.size(); i++) out.add(reader.apply(spot.get(i)));
        return out;
    }
}
