package io.jtune.tokenizer;

import io.jtune.tokenizer.model.TokenModel;
import io.jtune.tokenizer.text.Decoder;
import io.jtune.tokenizer.text.Normalizer;
import io.jtune.tokenizer.text.PostProcessor;
import io.jtune.tokenizer.text.PreTokenizer;
import io.jtune.util.IntList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer run in pure Java, with HF tokenizers' pipeline:
 * added tokens are cut out of the raw text first; each remaining segment is normalized (and
 * searched again for added tokens that match normalized text), pre-tokenized into words and
 * encoded word by word by the BPE model; the post-processor adds BOS/EOS.
 *
 * <p>A folder with a sentencepiece tokenizer.model and no tokenizer.json (ChatGLM3) runs the same
 * pipeline with sentencepiece's normalizer, segmentation and decoding as its steps.
 *
 * <p>Load one with {@link #load(Path)} (a model folder with tokenizer.json or tokenizer.model) or
 * {@link #loadGpt2(Path, Path)} (GPT-2's encoder.json + vocab.bpe). Instances are thread-safe.
 */
public final class HfTokenizer implements Tokenizer {

    /** Everything a tokenizer is made of; the loader fills it in. */
    record Parts(Normalizer normalizer, PreTokenizer preTokenizer, TokenModel model, PostProcessor postProcessor,
                 Decoder decoder, Collection<AddedToken> addedTokens, Integer bosId, Integer eosId, Integer padId,
                 String chatTemplate, boolean cleanUpSpaces) {}

    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final TokenModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final AddedTokenSplitter rawSplitter;
    private final AddedTokenSplitter normalizedSplitter;
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final Map<String, AddedToken> addedByContent = new HashMap<>();
    private final Integer bosId, eosId, padId;
    private final String chatTemplate;
    private final boolean cleanUpSpaces;
    private final int vocabSize;

    HfTokenizer(Parts parts) {
        this.normalizer = parts.normalizer();
        this.preTokenizer = parts.preTokenizer();
        this.model = parts.model();
        this.postProcessor = parts.postProcessor();
        this.decoder = parts.decoder();
        List<AddedToken> raw = new ArrayList<>(), normalized = new ArrayList<>();
        int maxId = model.size() - 1;
        for (AddedToken t : parts.addedTokens()) {
            addedById.put(t.id(), t);
            addedByContent.put(t.content(), t);
            (t.normalized() ? normalized : raw).add(t);
            maxId = Math.max(maxId, t.id());
        }
        this.rawSplitter = new AddedTokenSplitter(raw);
        this.normalizedSplitter = new AddedTokenSplitter(normalized);
        this.bosId = parts.bosId();
        this.eosId = parts.eosId();
        this.padId = parts.padId();
        this.chatTemplate = parts.chatTemplate();
        this.cleanUpSpaces = parts.cleanUpSpaces();
        this.vocabSize = maxId + 1;
    }

    /**
     * Loads tokenizer.json (+ tokenizer_config.json, special_tokens_map.json, chat_template.jinja) from
     * a folder, or its sentencepiece tokenizer.model when it has no tokenizer.json.
     */
    public static HfTokenizer load(Path modelDir) {
        return new HfTokenizer(HfTokenizerLoader.fromModelDir(modelDir));
    }

    /** Loads GPT-2's original files: encoder.json (token -> id) and vocab.bpe (the merges). */
    public static HfTokenizer loadGpt2(Path encoderJson, Path vocabBpe) {
        return new HfTokenizer(HfTokenizerLoader.fromGpt2Files(encoderJson, vocabBpe));
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(text.length() / 3 + 8);
        if (rawSplitter.isEmpty()) {
            encodeSegment(text, true, ids);
        } else {
            for (AddedTokenSplitter.Segment s : rawSplitter.split(text, 0)) {
                if (s.isToken()) ids.add(s.token().id());
                else encodeSegment(s.text(), s.start() == 0, ids);
            }
        }
        int[] out = ids.toArray();
        return addSpecialTokens && postProcessor != null ? postProcessor.process(out) : out;
    }

    private void encodeSegment(String text, boolean atTextStart, IntList ids) {
        String normalized = normalizer == null ? text : normalizer.normalize(text);
        if (normalizedSplitter.isEmpty()) {
            encodeWords(normalized, atTextStart, ids);
            return;
        }
        for (AddedTokenSplitter.Segment s : normalizedSplitter.split(normalized, 0)) {
            if (s.isToken()) ids.add(s.token().id());
            else encodeWords(s.text(), atTextStart && s.start() == 0, ids);
        }
    }

    private void encodeWords(String text, boolean atTextStart, IntList ids) {
        if (text.isEmpty()) return;
        if (preTokenizer == null) {
            model.tokenize(text, ids);
            return;
        }
        for (String word : preTokenizer.split(List.of(text), atTextStart)) model.tokenize(word, ids);
    }

    /** Decodes as transformers does, with clean_up_tokenization_spaces when tokenizer_config.json asks for it. */
    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return decode(ids, skipSpecialTokens, cleanUpSpaces);
    }

    /** Decodes ids, choosing whether to apply transformers' clean_up_tokenization_spaces. */
    public String decode(int[] ids, boolean skipSpecialTokens, boolean cleanUpTokenizationSpaces) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            AddedToken added = addedById.get(id);
            if (added != null) {
                if (!(skipSpecialTokens && added.special())) tokens.add(added.content());
                continue;
            }
            String token = model.idToToken(id);
            if (token != null) tokens.add(token);  // HF leaves out ids it does not know
        }
        String text = decoder == null ? String.join(" ", tokens) : String.join("", decoder.decode(tokens));
        return cleanUpTokenizationSpaces ? cleanUpTokenizationSpaces(text) : text;
    }

    /** transformers' clean_up_tokenization: removes the space before punctuation and English contractions. */
    static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** A decoder for generation that returns text as ids arrive, never half a character. */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    @Override
    public OptionalInt tokenToId(String token) {
        AddedToken added = addedByContent.get(token);
        if (added != null) return OptionalInt.of(added.id());
        Integer id = model.tokenToId(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public String idToToken(int id) {
        AddedToken added = addedById.get(id);
        return added != null ? added.content() : model.idToToken(id);
    }

    /** Whether an id is a special added token (the ones skip_special_tokens leaves out). */
    public boolean isSpecial(int id) {
        AddedToken added = addedById.get(id);
        return added != null && added.special();
    }

    /** The highest id of the model's vocabulary and the added tokens, plus one (HF's {@code len(tokenizer)}). */
    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalInt bosTokenId() {
        return bosId == null ? OptionalInt.empty() : OptionalInt.of(bosId);
    }

    @Override
    public OptionalInt eosTokenId() {
        return eosId == null ? OptionalInt.empty() : OptionalInt.of(eosId);
    }

    @Override
    public OptionalInt padTokenId() {
        return padId == null ? OptionalInt.empty() : OptionalInt.of(padId);
    }

    @Override
    public String chatTemplate() {
        return chatTemplate;
    }
}
