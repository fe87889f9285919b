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

    private static final byte[] MAGIC = "PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static void read(Path file, List<Row> rows) {
        checkEnds(file);
        MessageType schema;
        try {
            ParquetMetadata meta = ParquetReader.readMetadata(file.toFile());
            schema = meta.getFileMetaData().getSchema();
        } catch (IOException | RuntimeException e) {
            throw new JtuneException(file + ": not a readable parquet file: " + clean(e), e);
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
            throw new JtuneException(file + ": cannot read parquet rows (is the file damaged?): " + clean(e), e);
        }
    }

    /** A parquet file starts and ends with PAR1; a copy cut short lacks the end (and its footer). */
    private static void checkEnds(Path file) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(4);
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(4);
            if (size >= 4) ch.read(head, 0);
            if (size >= 8) ch.read(tail, size - 4);
            boolean startsRight = size >= 4 && java.util.Arrays.equals(head.array(), MAGIC);
            if (!startsRight) {
                throw new JtuneException(file + ": not a parquet file (" + (size == 0 ? "it is empty" : "it does not start with PAR1")
                        + ")");
            }
            if (size < 12 || !java.util.Arrays.equals(tail.array(), MAGIC)) {
                throw new JtuneException(file + ": the parquet file is truncated (" + size + " bytes, without the footer that"
                        + " ends every parquet file); copy or download it again");
            }
        } catch (IOException e) {
            throw new JtuneException("Cannot read " + file + ": " + io.jtune.util.IoErrors.reason(e), e);
        }
    }

    /** The library's message without the names of its internal objects (ParquetReader$2@1a2b3c). */
    private static String clean(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("[\\w.]+\\$\\d+@[0-9a-f]+ ?", "").trim();
    }
}
