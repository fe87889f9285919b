package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.data.AlignedExample;
import io.jtune.data.DatasetMixer;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.data.SkipReport;
import io.jtune.data.convert.DatasetConverter;
import io.jtune.data.source.DataFiles;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.source.Row;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The examples prediction generates for, prepared as LLaMA-Factory's unsupervised processor does
 * (data/processor/unsupervised.py): the conversation's prompt turns encoded with the template and
 * an empty assistant turn (or the one reference response, when there is exactly one) through
 * encode_oneturn; the reference response is the label (plus EOS with efficient-EOS templates); both
 * cut to cutoff_len by LLaMA-Factory's infer_seqlen.
 */
public final class PredictionExamples {

    /** One example: the prompt ids and the label ids. */
    public record Example(int[] promptIds, int[] labelIds) {}

    private PredictionExamples() {}

    /** Reads and converts the named datasets of dataset_dir in LLaMA-Factory's order (max_samples per dataset, then mixing). */
    public static List<AlignedExample> read(Path datasetDir, List<String> names, Integer maxSamples, String mixStrategy,
                                            List<Double> probs, long seed, SkipReport skips) {
        DatasetRegistry registry = DatasetRegistry.load(datasetDir);
        List<List<AlignedExample>> datasets = new ArrayList<>();
        for (String name : names) {
            DatasetAttr attr = registry.get(name);
            if (attr.ranking()) {
                throw new JtuneException("Dataset '" + name + "' is a preference dataset (\"ranking\": true); prediction needs sft-style data.");
            }
            List<Row> rows = DataFiles.read(datasetDir.resolve(attr.fileName()), skips);
            if (maxSamples != null) rows = rows.subList(0, Math.min(maxSamples, rows.size()));
            DatasetConverter converter = DatasetConverter.forAttr(attr);
            List<AlignedExample> aligned = new ArrayList<>(rows.size());
            for (Row row : rows) {
                try {
                    aligned.add(converter.convert(row));
                } catch (InvalidRecordException e) {
                    skips.skip(e.reason(), name + "/" + row.origin(), e.getMessage());
                }
            }
            datasets.add(aligned);
        }
        return DatasetMixer.merge(datasets, mixStrategy, probs, seed);
    }

    /** LLaMA-Factory's _encode_unsupervised_example. */
    public static Example encode(AlignedExample e, Template template, ChatTokenizer tok, int cutoffLen) {
        List<Message> messages = new ArrayList<>(e.prompt());
        if (e.response().size() == 1) messages.addAll(e.response());
        else messages.add(Message.assistant(""));
        Template.EncodedPair pair = template.encodeOneturn(tok, messages, e.system(), e.tools());
        int[] input = pair.prompt(), labels = pair.response();
        if (template.efficientEos()) {
            labels = Arrays.copyOf(labels, labels.length + 1);
            labels[labels.length - 1] = tok.eosId();
        }
        int[] lengths = inferSeqlen(input.length, labels.length, cutoffLen);
        return new Example(Arrays.copyOf(input, lengths[0]), Arrays.copyOf(labels, lengths[1]));
    }

    /**
     * An example for the model's own chat template: the prompt is the conversation rendered with the
     * generation prompt; the label is what the template writes for the reference response after it
     * (the response and the template's end of turn), or the response alone when the template renders
     * history differently from the prompt. Both cut to cutoff_len as LLaMA-Factory's infer_seqlen.
     */
    public static Example encode(AlignedExample e, ModelTemplateFormat format, io.jtune.tokenizer.Tokenizer tok, int cutoffLen) {
        List<ChatMessage> turns = new ArrayList<>();
        for (Message m : e.prompt()) turns.add(toChatMessage(m));
        String tools = e.tools() == null || e.tools().isEmpty() ? null : e.tools();
        String system = e.system() == null || e.system().isEmpty() ? null : e.system();
        String promptText = format.render(turns, system, tools, true);
        String response = e.response().size() == 1 ? e.response().getFirst().content() : "";
        String labelText = response;
        if (!response.isEmpty()) {
            List<ChatMessage> full = new ArrayList<>(turns);
            full.add(toChatMessage(e.response().getFirst()));
            String fullText = format.render(full, system, tools, false);
            if (fullText.startsWith(promptText)) labelText = fullText.substring(promptText.length());
        }
        int[] input = tok.encode(promptText, false);
        int[] labels = labelText.isEmpty() ? new int[0] : tok.encode(labelText, false);
        int[] lengths = inferSeqlen(input.length, labels.length, cutoffLen);
        return new Example(Arrays.copyOf(input, lengths[0]), Arrays.copyOf(labels, lengths[1]));
    }

    /** A dataset turn as a chat turn: observation is a tool result, function an assistant turn that calls tools. */
    static ChatMessage toChatMessage(Message m) {
        return switch (m.role()) {
            case USER -> ChatMessage.user(m.content());
            case ASSISTANT -> ChatMessage.assistant(m.content());
            case OBSERVATION -> ChatMessage.toolResult(null, m.content());
            case FUNCTION -> ChatMessage.toolCalls(null, functionCalls(m.content()));
            case SYSTEM -> throw new InvalidRecordException("system turn inside the conversation", "only the first turn may be a system turn");
        };
    }

    private static List<ToolCall> functionCalls(String content) {
        com.fasterxml.jackson.databind.JsonNode parsed;
        try {
            parsed = io.jtune.util.PythonJson.parse(content);
        } catch (IllegalArgumentException ex) {
            throw new InvalidRecordException("function call is not valid JSON", content.length() > 120 ? content.substring(0, 117) + "..." : content);
        }
        List<ToolCall> calls = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode c : parsed.isArray() ? parsed : List.of(parsed)) {
            if (!c.path("name").isTextual() || !c.has("arguments")) {
                throw new InvalidRecordException("function call needs \"name\" and \"arguments\"", c.toString());
            }
            calls.add(new ToolCall(null, c.get("name").asText(),
                    io.jtune.util.PythonJson.dumps(c.get("arguments"), io.jtune.util.PythonJson.Options.NON_ASCII_KEPT)));
        }
        return calls;
    }

    /** LLaMA-Factory's infer_seqlen: how many source and target tokens fit in cutoff_len. */
    static int[] inferSeqlen(int sourceLen, int targetLen, int cutoffLen) {
        int maxTargetLen;
        if (targetLen * 2 < cutoffLen) maxTargetLen = cutoffLen;
        else if (sourceLen * 2 < cutoffLen) maxTargetLen = cutoffLen - sourceLen;
        else maxTargetLen = (int) (cutoffLen * ((double) targetLen / (sourceLen + targetLen)));
        int newTarget = Math.min(maxTargetLen, targetLen);
        int maxSource = Math.max(cutoffLen - newTarget, 0);
        return new int[] {Math.min(maxSource, sourceLen), newTarget};
    }
}
