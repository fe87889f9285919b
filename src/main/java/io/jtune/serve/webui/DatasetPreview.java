package io.jtune.serve.webui;

import io.jtune.serve.PathGuard;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.data.AlignedExample;
import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.data.SkipReport;
import io.jtune.data.convert.DatasetConverter;
import io.jtune.data.source.DataFiles;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.source.Row;
import java.nio.file.Path;
import java.util.List;

/**
 * The Train tab's dataset list and its "preview" of a dataset's first records: as stored on disk,
 * and as training reads them (converted to prompt turns and answers by the dataset's own converter,
 * so a preference pair shows its chosen and rejected answers and a KTO record its tag).
 */
final class DatasetPreview {
    static final int RECORDS = 5;

    private DatasetPreview() {}

    /**
     * The dataset names of dataset_info.json in {@code datasetDir}, in file order, and those of them
     * that are ranking datasets (the page offers those for rm and dpo, the others for the other stages).
     */
    static ObjectNode names(Path datasetDir) {
        DatasetRegistry registry = DatasetRegistry.load(datasetDir);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode names = out.putArray("names");
        ArrayNode ranking = out.putArray("ranking");
        for (String name : registry.names()) {
            names.add(name);
            if (registry.get(name).ranking()) ranking.add(name);
        }
        return out;
    }

    /** Up to {@link #RECORDS} records of {@code name}, with its format and how many records its files hold. */
    static ObjectNode preview(Path datasetDir, String name, PathGuard paths) {
        DatasetRegistry registry = DatasetRegistry.load(datasetDir);
        if (!registry.names().contains(name)) {
            throw FieldErrors.of("dataset", "'" + name + "' is not in " + registry.file() + " (known: " + String.join(", ", registry.names()) + ")");
        }
        DatasetAttr attr = registry.get(name);
        String problem = ConfigForm.confinementProblem(registry, datasetDir, name, paths);
        if (problem != null) throw FieldErrors.of("dataset", problem);
        Path location = datasetDir.resolve(attr.fileName()).normalize();
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("name", name);
        out.put("formatting", attr.formatting());
        out.put("ranking", attr.ranking());
        out.put("kind", kind(attr));
        ArrayNode records = out.putArray("records");
        ArrayNode examples = out.putArray("examples");
        DatasetConverter converter = DatasetConverter.forAttr(attr);
        int total = 0;
        for (Path file : DataFiles.list(location)) {
            List<Row> rows = DataFiles.read(file, new SkipReport());
            for (Row r : rows) {
                if (records.size() < RECORDS) {
                    records.add(r.fields());
                    examples.add(example(converter, r, kind(attr)));
                }
            }
            total += rows.size();
        }
        out.put("total", total);
        return out;
    }

    /** What a record trains: pairwise (chosen / rejected answers), kto (an answer tagged desirable or not) or supervised. */
    static String kind(DatasetAttr attr) {
        if (attr.ranking()) return "pairwise";
        if (attr.columns().ktoTag() != null) return "kto";
        return "supervised";
    }

    /**
     * One record as training reads it: system, prompt turns, then the answer(s) of its kind. A
     * record the converter refuses shows why (training skips it and counts it).
     */
    private static ObjectNode example(DatasetConverter converter, Row row, String kind) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        AlignedExample aligned;
        try {
            aligned = converter.convert(row);
        } catch (InvalidRecordException | io.jtune.JtuneException bad) {
            e.put("error", bad.getMessage());
            return e;
        }
        if (aligned.system() != null && !aligned.system().isEmpty()) e.put("system", aligned.system());
        ArrayNode prompt = e.putArray("prompt");
        for (Message m : aligned.prompt()) prompt.addObject().put("role", m.role().value()).put("content", m.content());
        List<Message> response = aligned.response();
        switch (kind) {
            case "pairwise" -> {
                e.put("chosen", response.size() > 0 ? response.get(0).content() : "");
                e.put("rejected", response.size() > 1 ? response.get(1).content() : "");
            }
            case "kto" -> {
                // the converter pairs the answer with an empty turn: after it when desirable, before it when not
                boolean desirable = response.size() == 2 && response.get(1).content().isEmpty();
                e.put("response", desirable ? response.get(0).content() : response.size() > 1 ? response.get(1).content() : "");
                e.put("desirable", desirable);
            }
            default -> e.put("response", response.isEmpty() ? "" : response.get(0).content());
        }
        return e;
    }
}
