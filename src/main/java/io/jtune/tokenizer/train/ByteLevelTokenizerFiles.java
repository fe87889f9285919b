package io.jtune.tokenizer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a learned byte-level BPE vocabulary as Hugging Face tokenizer files — tokenizer.json and
 * tokenizer_config.json laid out like Qwen2's (NFC normaliser, regex split + ByteLevel, BPE model,
 * ByteLevel decoder, special tokens as added tokens) — so transformers, llama.cpp's converter and
 * jtune's own tokenizer all load it.
 */
public final class ByteLevelTokenizerFiles {
    private ByteLevelTokenizerFiles() {}

    /**
     * @param specialTokens appended after the vocabulary, in order (ids vocab.size(), vocab.size()+1, ...)
     * @param eosToken      one of the special tokens
     * @param padToken      one of the special tokens
     * @param chatTemplate  a Jinja chat template for tokenizer_config.json, or null
     */
    public static void write(Path dir, BpeTrainer.Vocabulary vocab, List<String> specialTokens, String eosToken,
                             String padToken, String chatTemplate, int modelMaxLength) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, Object> addedDecoder = new LinkedHashMap<>();
        List<Map<String, Object>> added = new ArrayList<>();
        for (int i = 0; i < specialTokens.size(); i++) {
            int id = vocab.tokens().size() + i;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", id);
            t.put("content", specialTokens.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
            added.add(t);
            Map<String, Object> d = new LinkedHashMap<>(t);
            d.remove("id");
            addedDecoder.put(Integer.toString(id), d);
        }
        Map<String, Integer> vocabMap = new LinkedHashMap<>();
        for (int i = 0; i < vocab.tokens().size(); i++) vocabMap.put(vocab.tokens().get(i), i);
        List<List<String>> merges = vocab.merges().stream().map(m -> List.of(m[0], m[1])).toList();

        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", false);
        byteLevel.put("use_regex", false);
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("type", "Split");
        split.put("pattern", Map.of("Regex", BpeTrainer.SPLIT_PATTERN));
        split.put("behavior", "Isolated");
        split.put("invert", false);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocabMap);
        model.put("merges", merges);

        Map<String, Object> tokenizer = new LinkedHashMap<>();
        tokenizer.put("version", "1.0");
        tokenizer.put("truncation", null);
        tokenizer.put("padding", null);
        tokenizer.put("added_tokens", added);
        tokenizer.put("normalizer", Map.of("type", "NFC"));
        tokenizer.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(split, byteLevel)));
        tokenizer.put("post_processor", byteLevel);
        tokenizer.put("decoder", byteLevel);
        tokenizer.put("model", model);

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("add_bos_token", false);
        config.put("add_prefix_space", false);
        config.put("added_tokens_decoder", addedDecoder);
        config.put("bos_token", null);
        config.put("eos_token", eosToken);
        config.put("pad_token", padToken);
        config.put("unk_token", null);
        config.put("clean_up_tokenization_spaces", false);
        config.put("errors", "replace");
        config.put("model_max_length", modelMaxLength);
        config.put("split_special_tokens", false);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (chatTemplate != null) config.put("chat_template", chatTemplate);

        AtomicFiles.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(tokenizer));
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(config));
    }
}
