package io.jtune.data.source;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.jtune.JtuneException;
import io.jtune.data.SkipReport;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Reads a dataset's local file or folder into rows, by extension as LLaMA-Factory (json, jsonl,
 * csv, parquet, txt). A .json file may hold a list of records, a dict of equal-length columns, or
 * JSON lines. A syntax error stops with file, line, column and field; a value that is not a
 * record is skipped and counted.
 */
public final class DataFiles {
    public static final List<String> EXTENSIONS = List.of("json", "jsonl", "csv", "parquet", "txt");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A check run on every dataset file (and dataset_info.json) before it is opened, where a caller
     * binds one: the web UI binds one that refuses files outside its allowed folders. Unbound, all
     * files may be read (the command line reads what its config names).
     */
    public static final ScopedValue<Consumer<Path>> FILE_CHECK = ScopedValue.newInstance();

    private DataFiles() {}

    /** Runs the bound {@link #FILE_CHECK} on {@code file}, if any; it throws to refuse the file. */
    static void checkAllowed(Path file) {
        if (FILE_CHECK.isBound()) FILE_CHECK.get().accept(file);
    }

    /** The files of a dataset: the file itself, or the files of a folder (sorted, same type). */
    public static List<Path> list(Path path) {
        checkAllowed(path);
        if (Files.isRegularFile(path)) return List.of(path);
        if (!Files.isDirectory(path)) {
            throw new JtuneException("Data file " + path + " not found (file_name in dataset_info.json is relative "
                    + "to dataset_dir).");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(path)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new JtuneException("Cannot list " + path + ": " + io.jtune.util.IoErrors.reason(e), e);
        }
        if (files.isEmpty()) throw new JtuneException("Data folder " + path + " has no files.");
        files.forEach(DataFiles::checkAllowed);
        String type = extension(files.getFirst());
        for (Path f : files) {
            if (!extension(f).equals(type)) {
                throw new JtuneException("Data folder " + path + " mixes file types (" + files.getFirst().getFileName()
                        + " and " + f.getFileName() + "); all files of a dataset must have the same type.");
            }
        }
        return files;
    }

    static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
        if (!EXTENSIONS.contains(ext)) {
            throw new JtuneException("Data file " + file + " has an unsupported type '" + ext + "'. Allowed: "
                    + String.join(", ", EXTENSIONS) + " (arrow is not supported).");
        }
        return ext;
    }

    /** All rows of {@code path} (a file or folder). */
    public static List<Row> read(Path path, SkipReport skips) {
        List<Row> rows = new ArrayList<>();
        for (Path file : list(path)) {
            switch (extension(file)) {
                case "json" -> readJson(file, rows, skips);
                case "jsonl" -> readJsonLines(file, rows, skips);
                case "csv" -> readCsv(file, rows);
                case "parquet" -> ParquetRows.read(file, rows);
                case "txt" -> readText(file, rows);
                default -> throw new IllegalStateException();
            }
        }
        return rows;
    }

    private static void readJson(Path file, List<Row> rows, SkipReport skips) {
        try (JsonParser p = JSON.createParser(Files.newBufferedReader(file, StandardCharsets.UTF_8))) {
            JsonToken first = p.nextToken();
            if (first == null) return; // an empty file has no records
            if (first == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    int line = p.currentTokenLocation().getLineNr();
                    JsonNode value = p.readValueAsTree();
                    addRecord(value, file, line, rows, skips);
                }
                if (p.nextToken() != null) throw trailing(file, p);
                return;
            }
            if (first != JsonToken.START_OBJECT) {
                throw new JtuneException(file + ": expected a JSON list of records, a JSON object of columns or JSON "
                        + "lines, found " + first + " at line " + p.currentTokenLocation().getLineNr() + ".");
            }
            int line = p.currentTokenLocation().getLineNr();
            JsonNode firstValue = p.readValueAsTree();
            if (p.nextToken() != null) { // more values follow: JSON lines in a .json file
                addRecord(firstValue, file, line, rows, skips);
                do {
                    int l = p.currentTokenLocation().getLineNr();
                    addRecord(p.readValueAsTree(), file, l, rows, skips);
                } while (p.nextToken() != null);
            } else if (isColumnar(firstValue)) {
                addColumns((ObjectNode) firstValue, file, rows);
            } else {
                addRecord(firstValue, file, line, rows, skips);
            }
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof java.nio.charset.CharacterCodingException) throw notUtf8(file, e);
            throw syntaxError(file, e, 0);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    private static void readJsonLines(Path file, List<Row> rows, SkipReport skips) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            try (JsonParser p = JSON.createParser(line)) {
                JsonNode value = p.readValueAsTree();
                if (p.nextToken() != null) {
                    throw new JtuneException(file + ":" + (i + 1) + ": more than one JSON value on the line (JSON lines "
                            + "need exactly one record per line).");
                }
                addRecord(value, file, i + 1, rows, skips);
            } catch (JsonProcessingException e) {
                throw syntaxError(file, e, i); // the parser counts lines from 1 within this line
            } catch (IOException e) {
                throw cannotRead(file, e);
            }
        }
    }

    private static void readCsv(Path file, List<Row> rows) {
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.WRAP_AS_ARRAY);
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             MappingIterator<Map<String, String>> it = mapper.readerFor(Map.class).with(schema).readValues(r)) {
            while (it.hasNext()) {
                int line = it.getCurrentLocation().getLineNr();
                Map<String, String> values = it.next();
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                values.forEach(o::put);
                rows.add(new Row(o, file.getFileName() + ":" + line));
            }
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof java.nio.charset.CharacterCodingException) throw notUtf8(file, e);
            throw new JtuneException(file + ": invalid CSV at line " + e.getLocation().getLineNr() + ": "
                    + e.getOriginalMessage());
        } catch (java.nio.charset.CharacterCodingException e) {
            throw notUtf8(file, e);
        } catch (IOException | RuntimeException e) {
            if (e.getCause() instanceof java.nio.charset.CharacterCodingException) throw notUtf8(file, e);
            throw new JtuneException(file + ": invalid CSV: " + e.getMessage(), e);
        }
    }

    /** Plain text: each line is one record {"text": line}, as Hugging Face's text loader. */
    private static void readText(Path file, List<Row> rows) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
        String[] lines = content.split("\r?\n", -1);
        int n = content.endsWith("\n") ? lines.length - 1 : lines.length;
        for (int i = 0; i < n; i++) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("text", lines[i]);
            rows.add(new Row(o, file.getFileName() + ":" + (i + 1)));
        }
    }

    private static JtuneException cannotRead(Path file, IOException e) {
        if (e instanceof java.nio.charset.CharacterCodingException) return notUtf8(file, e);
        return new JtuneException("Cannot read " + file + ": " + io.jtune.util.IoErrors.reason(e), e);
    }

    /** Names the line and byte of the first bytes that are not UTF-8, so the user can find them. */
    static JtuneException notUtf8(Path file, Exception cause) {
        String where = "";
        try {
            byte[] bytes = Files.readAllBytes(file);
            int bad = firstInvalidUtf8(bytes);
            if (bad >= 0) {
                int line = 1;
                for (int i = 0; i < bad; i++) if (bytes[i] == '\n') line++;
                where = " (the first invalid bytes are at line " + line + ", byte offset " + bad + ")";
            }
        } catch (IOException | OutOfMemoryError ignored) {
            // without the position: the message still names the file
        }
        return new JtuneException(file + ": not UTF-8 text" + where + "; jtune reads data files as UTF-8: convert it"
                + " (e.g. iconv -f latin1 -t utf-8)", cause);
    }

    private static int firstInvalidUtf8(byte[] bytes) {
        java.nio.charset.CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(8192);
        while (true) {
            java.nio.charset.CoderResult r = d.decode(in, out, true);
            if (r.isError()) return in.position();
            if (r.isUnderflow()) return -1;
            out.clear();
        }
    }

    private static void addRecord(JsonNode value, Path file, int line, List<Row> rows, SkipReport skips) {
        String origin = file.getFileName() + ":" + line;
        if (value instanceof ObjectNode o) {
            rows.add(new Row(o, origin));
        } else {
            skips.skip("record is not a JSON object", origin, abbreviate(value.toString()));
        }
    }

    private static boolean isColumnar(JsonNode o) {
        if (o.isEmpty()) return false;
        int length = -1;
        for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) {
            JsonNode v = it.next();
            if (!v.isArray()) return false;
            if (length >= 0 && v.size() != length) return false;
            length = v.size();
        }
        return true;
    }

    private static void addColumns(ObjectNode columns, Path file, List<Row> rows) {
        int n = columns.elements().next().size();
        for (int i = 0; i < n; i++) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> c : columns.properties()) o.set(c.getKey(), c.getValue().get(i));
            rows.add(new Row(o, file.getFileName() + ":column row " + (i + 1)));
        }
    }

    /** The parser's error with file, line (shifted by {@code lineOffset}), column and the field being read. */
    private static JtuneException syntaxError(Path file, JsonProcessingException e, int lineOffset) {
        JsonLocation loc = e.getLocation();
        String field = null;
        if (e.getProcessor() instanceof JsonParser p) {
            for (JsonStreamContext c = p.getParsingContext(); c != null && field == null; c = c.getParent()) {
                field = c.getCurrentName();
            }
        }
        boolean located = loc != null && loc.getLineNr() > 0;
        return new JtuneException(file + ": invalid JSON" + (located ? " at line " + (loc.getLineNr() + lineOffset)
                + ", column " + loc.getColumnNr() : "") + (field == null ? "" : ", in field \"" + field + "\"") + ": "
                + withoutJacksonNames(e.getOriginalMessage()).replace('\n', ' '));
    }

    /** Jackson's limits name the Java method that sets them; the user needs the limit, not the method. */
    public static String withoutJacksonNames(String message) {
        if (message == null) return "unreadable";
        return message.replaceAll(",? ?(from|use) `[A-Za-z]+(\\.[A-Za-z]+)+(\\(\\))?`( to [^)]*)?", "");
    }

    private static JtuneException trailing(Path file, JsonParser p) {
        return new JtuneException(file + ": unexpected content after the JSON list at line "
                + p.currentTokenLocation().getLineNr() + ".");
    }

    static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 157) + "...";
    }
}
