package io.jtune.data.source;

import blue.strategic.parquet.Hydrator;
import blue.strategic.parquet.ParquetReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Parquet files with flat columns (strings, numbers, booleans): alpaca-style and pretraining
 * data. Nested columns (sharegpt conversations stored as list&lt;struct&gt;) are refused with a clear
 * message: convert such files to JSON lines.
 */
final class ParquetRows {
    private ParquetRows() {}

    static void read(Path file, List<Row> rows) {
        MessageType schema;
        try {
            ParquetMetadata meta = ParquetReader.readMetadata(file.toFile());
            schema = meta.getFileMetaData().getSchema();
        } catch (IOException | RuntimeException e) {
            throw new JtuneException(file + ": not a readable parquet file: " + e.getMessage(), e);
        }
        for (Type field : schema.getFields()) {
            if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                throw new JtuneException(file + ": parquet column '" + field.getName() + "' is nested (a list or "
                        + "struct); jtune reads flat parquet columns only. Convert this file to JSON lines "
                        + "(e.g. pandas.read_parquet(f).to_json(out, orient='records', lines=True)).");
            }
        }
        Hydrator<ObjectNode, ObjectNode, String> hydrator = new Hydrator<>() {
            @Override
            public ObjectNode start() {
                return JsonNodeFactory.instance.objectNode();
            }

            @Override
            public ObjectNode add(ObjectNode target, String column, Object value) {
                switch (value) {
                    case null -> target.putNull(column);
                    case String s -> target.put(column, s);
                    case Boolean b -> target.put(column, b);
                    case Integer i -> target.put(column, i);
                    case Long l -> target.put(column, l);
                    case Float f -> target.put(column, f);
                    case Double d -> target.put(column, d);
                    default -> target.put(column, value.toString());
                }
                return target;
            }

            @Override
            public ObjectNode finish(ObjectNode target) {
                return target;
            }
        };
        try (Stream<ObjectNode> s = ParquetReader.streamContent(file.toFile(), hydrator, path -> String.join(".", path))) {
            int[] n = {0};
            s.forEach(o -> rows.add(new Row(o, file.getFileName() + ":row " + (++n[0]))));
        } catch (IOException | RuntimeException e) {
            throw new JtuneException(file + ": cannot read parquet rows: " + e.getMessage(), e);
        }
    }
}
