package io.jtune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import blue.strategic.parquet.ParquetWriter;
import io.jtune.JtuneException;
import io.jtune.data.source.DataFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data files that cannot be read say which file and what is wrong with it, in words. */
class DataFileMessagesTest {
    @TempDir Path dir;

    private JtuneException refused(Path f) {
        return assertThrows(JtuneException.class, () -> DataFiles.read(f, new SkipReport()));
    }

    @Test
    void aFileThatIsNotUtf8NamesTheFileAndTheLine() throws Exception {
        byte[] latin1 = "[\n {\"instruction\": \"ok\"},\n {\"instruction\": \"caf\u00e9\"}\n]\n".getBytes(StandardCharsets.ISO_8859_1);
        for (String name : List.of("a.json", "a.jsonl", "a.csv", "a.txt")) {
            Path f = dir.resolve(name);
            Files.write(f, name.endsWith(".json") ? latin1
                    : name.endsWith(".jsonl") ? "{\"instruction\": \"ok\"}\n{\"instruction\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1)
                    : name.endsWith(".csv") ? "instruction\nok\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1)
                    : "ok\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
            String m = refused(f).getMessage();
            assertTrue(m.startsWith(f + ": not UTF-8 text"), m);
            assertTrue(m.contains("line " + (name.endsWith(".json") || name.endsWith(".csv") ? 3 : 2)), m);
            assertFalse(m.contains("Input length"), m);
        }
    }

    @Test
    void jacksonLimitsAreGivenWithoutJacksonMethodNames() throws Exception {
        Path f = dir.resolve("deep.json");
        Files.writeString(f, "[{\"instruction\": " + "[".repeat(1200) + "]".repeat(1200) + "}]");
        String m = refused(f).getMessage();
        assertTrue(m.startsWith(f + ": invalid JSON") && m.contains("exceeds the maximum allowed (1000)"), m);
        assertFalse(m.contains("?"), m);
        assertFalse(m.contains("StreamReadConstraints") || m.contains("`"), m);
    }

    @Test
    void aDatasetInfoThatIsNotUtf8IsNamed() throws Exception {
        Files.write(dir.resolve("dataset_info.json"), "{\"caf\u00e9\": {\"file_name\": \"a.json\"}}".getBytes(StandardCharsets.ISO_8859_1));
        JtuneException e = assertThrows(JtuneException.class, () -> io.jtune.data.source.DatasetRegistry.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("dataset_info.json") + ": not UTF-8 text (the first invalid bytes are at line 1"),
                e.getMessage());
    }

    @Test
    void anEmptyDatasetFileIsNamedWithoutAnEmptyListOfReasons() throws Exception {
        Files.writeString(dir.resolve("dataset_info.json"), "{\"empty\": {\"file_name\": \"empty.json\"}}");
        Files.write(dir.resolve("empty.json"), new byte[0]);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        JtuneException e = assertThrows(JtuneException.class, () -> new DatasetPipeline(
                DataOptions.builder(List.of("empty"), dir).template("qwen").build(), FakeTokenizer.qwenLike(), "fake-1",
                new PrintStream(log, true, StandardCharsets.UTF_8)).load());
        assertTrue(e.getMessage().contains(dir.resolve("empty.json").toString()) && e.getMessage().contains("empty"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void nothingLeftWithNothingSkippedGivesNoEmptyListOfReasons() {
        String m = new SkipReport().nothingLeft("eval_dataset empty").getMessage();
        assertEquals("No example in eval_dataset empty: its files hold no records (is a file empty?). See docs/data.md for the"
                + " dataset formats.", m);
    }

    @Test
    void aTruncatedParquetFileSaysSo() throws Exception {
        MessageType schema = Types.buildMessage()
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("instruction")
                .named("row");
        Path good = dir.resolve("good.parquet");
        try (ParquetWriter<Map<String, String>> w = ParquetWriter.writeFile(schema, good.toFile(), (row, out) -> row.forEach(out::write))) {
            for (int i = 0; i < 50; i++) w.write(Map.of("instruction", "row " + i));
        }
        byte[] bytes = Files.readAllBytes(good);
        for (int keep : new int[] {bytes.length - 10, bytes.length / 2, 3, 0}) {
            Path f = dir.resolve("cut" + keep + ".parquet");
            Files.write(f, Arrays.copyOf(bytes, keep));
            String m = refused(f).getMessage();
            assertTrue(m.startsWith(f + ": "), m);
            assertTrue(m.contains("truncated") || m.contains("not a parquet file"), m);
            assertFalse(m.matches("(?s).*\\$\\d+@.*"), "no object names: " + m);
        }
        assertEquals(50, DataFiles.read(good, new SkipReport()).size());
    }
}
