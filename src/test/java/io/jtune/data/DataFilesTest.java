package io.jtune.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import blue.strategic.parquet.ParquetWriter;
import io.jtune.JtuneException;
import io.jtune.data.source.DataFiles;
import io.jtune.data.source.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFilesTest {
    @TempDir
    Path dir;

    private List<Row> read(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return DataFiles.read(f, new SkipReport());
    }

    @Test
    void jsonListOfRecordsKeepsLineNumbers() throws Exception {
        List<Row> rows = read("a.json", "[\n  {\"instruction\": \"a\"},\n  {\"instruction\": \"b\"}\n]\n");
        assertEquals(2, rows.size());
        assertEquals("b", rows.get(1).get("instruction").textValue());
        assertEquals("a.json:3", rows.get(1).origin());
    }

    @Test
    void jsonDictOfColumnsBecomesRows() throws Exception {
        List<Row> rows = read("c.json", "{\"instruction\": [\"a\", \"b\"], \"output\": [\"x\", \"y\"]}");
        assertEquals(2, rows.size());
        assertEquals("y", rows.get(1).get("output").textValue());
    }

    @Test
    void jsonLinesInAJsonFileAndInAJsonlFile() throws Exception {
        assertEquals(2, read("l.json", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n").size());
        List<Row> rows = read("l.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n");
        assertEquals(2, rows.size());
        assertEquals("l.jsonl:3", rows.get(1).origin());
    }

    @Test
    void malformedJsonNamesFileLineAndField() {
        JtuneException e = assertThrows(JtuneException.class,
                () -> read("bad.json", "[\n {\"instruction\": \"a\"},\n {\"instruction\": \"b\", \"output\": tru}\n]"));
        assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains("line 3")
                && e.getMessage().contains("\"output\""), e.getMessage());
    }

    @Test
    void malformedJsonlNamesTheLine() {
        JtuneException e = assertThrows(JtuneException.class,
                () -> read("bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"\n"));
        assertTrue(e.getMessage().contains("bad.jsonl") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aValueThatIsNotARecordIsSkippedAndCounted() throws Exception {
        Path f = dir.resolve("mixed.json");
        Files.writeString(f, "[{\"text\": \"a\"}, 42, \"x\"]");
        SkipReport skips = new SkipReport();
        assertEquals(1, DataFiles.read(f, skips).size());
        assertEquals(2, skips.count("record is not a JSON object"));
    }

    @Test
    void csvRowsAreStrings() throws Exception {
        List<Row> rows = read("d.csv", "instruction,input,output\n\"Say, hi\",,hello\nb,c,d\n");
        assertEquals(2, rows.size());
        assertEquals("Say, hi", rows.get(0).get("instruction").textValue());
        assertEquals("hello", rows.get(0).get("output").textValue());
    }

    @Test
    void textFilesGiveOneRecordPerLine() throws Exception {
        List<Row> rows = read("t.txt", "first line\n\nthird\n");
        assertEquals(List.of("first line", "", "third"), rows.stream().map(r -> r.get("text").textValue()).toList());
    }

    @Test
    void parquetWithFlatColumns() throws Exception {
        MessageType schema = Types.buildMessage()
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("instruction")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("output")
                .named("row");
        Path f = dir.resolve("p.parquet");
        try (ParquetWriter<Map<String, String>> w = ParquetWriter.writeFile(schema, f.toFile(),
                (row, out) -> row.forEach(out::write))) {
            w.write(Map.of("instruction", "Say hi", "output", "hi"));
            w.write(Map.of("instruction", "Count", "output", "1 2 3"));
        }
        List<Row> rows = DataFiles.read(f, new SkipReport());
        assertEquals(2, rows.size());
        assertEquals("1 2 3", rows.get(1).get("output").textValue());
    }

    @Test
    void aFolderReadsAllItsFilesOfOneType() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("parts"));
        Files.writeString(folder.resolve("1.jsonl"), "{\"text\": \"a\"}\n");
        Files.writeString(folder.resolve("2.jsonl"), "{\"text\": \"b\"}\n");
        assertEquals(2, DataFiles.read(folder, new SkipReport()).size());
        Files.writeString(folder.resolve("3.csv"), "text\nc\n");
        JtuneException e = assertThrows(JtuneException.class, () -> DataFiles.read(folder, new SkipReport()));
        assertTrue(e.getMessage().contains("mixes file types"), e.getMessage());
    }

    @Test
    void unsupportedTypesAndMissingFilesAreExplained() throws Exception {
        Files.writeString(dir.resolve("x.arrow"), "");
        JtuneException e = assertThrows(JtuneException.class, () -> DataFiles.read(dir.resolve("x.arrow"), new SkipReport()));
        assertTrue(e.getMessage().contains("json, jsonl, csv, parquet, txt"), e.getMessage());
        e = assertThrows(JtuneException.class, () -> DataFiles.read(dir.resolve("none.json"), new SkipReport()));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
}
