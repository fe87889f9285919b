package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.data.SkipReport;
import io.jtune.data.source.DataFiles;
import io.jtune.data.source.DatasetAttr;
import io.jtune.data.source.DatasetRegistry;
import io.jtune.data.source.Row;
import java.nio.file.Path;
import java.util.List;

/** The Train tab's dataset list and its "preview" of a dataset's first records, as stored on disk. */
final class DatasetPreview {
    static final int RECORDS = 5;

    private DatasetPreview() {}

    /** The dataset names of dataset_info.json in {@code datasetDir}, in file order. */
    static List<String> names(Path datasetDir) {
        return DatasetRegistry.load(datasetDir).names();
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
        ArrayNode records = out.putArray("records");
        int total = 0;
        for (Path file : DataFiles.list(location)) {
            List<Row> rows = DataFiles.read(file, new SkipReport());
            for (Row r : rows) {
                if (records.size() < RECORDS) records.add(r.fields());
            }
            total += rows.size();
        }
        out.put("total", total);
        return out;
    }
}
