package io.jtune.io.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a model as one name -> tensor view, whether they sit in a single
 * model.safetensors or in shards listed by model.safetensors.index.json (its "weight_map" maps each
 * tensor name to a shard file name in the same directory).
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<SafetensorsFile> files;
    private final Map<String, StoredTensor> tensors;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Map<String, StoredTensor> tensors) {
        this.files = files;
        this.tensors = tensors;
    }

    /**
     * Opens a model directory (model.safetensors, else model.safetensors.index.json: the order
     * transformers uses), a single .safetensors file, or an index file.
     */
    public static SafetensorsCheckpoint open(Path path) {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(SINGLE_FILE))) return openSingle(path.resolve(SINGLE_FILE));
            if (Files.isRegularFile(path.resolve(INDEX_FILE))) return openIndex(path.resolve(INDEX_FILE));
            throw new SafetensorsException(path, "no " + SINGLE_FILE + " or " + INDEX_FILE + " in this directory");
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".index.json")) return openIndex(path);
        return openSingle(path);
    }

    private static SafetensorsCheckpoint openSingle(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, StoredTensor> byName = new LinkedHashMap<>();
        for (StoredTensor t : f.tensors()) byName.put(t.name(), t);
        return new SafetensorsCheckpoint(List.of(f), Collections.unmodifiableMap(byName));
    }

    private static SafetensorsCheckpoint openIndex(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        // Shards in name order so that tensors() lists them in a stable order.
        Map<String, List<String>> tensorsByShard = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> tensorsByShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(tensor));
        Path dir = index.toAbsolutePath().getParent();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, StoredTensor> byName = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> shard : tensorsByShard.entrySet()) {
                Path shardPath = dir.resolve(shard.getKey());
                if (!Files.isRegularFile(shardPath)) {
                    throw new SafetensorsException(index, shard.getValue().getFirst(),
                            "the index puts this tensor in shard " + shard.getKey() + ", which does not exist in " + dir);
                }
                SafetensorsFile f = SafetensorsFile.open(shardPath);
                opened.add(f);
                for (String name : shard.getValue()) {
                    if (f.find(name) == null) {
                        throw new SafetensorsException(shardPath, name, "the index " + index.getFileName()
                                + " puts this tensor in this shard, but the shard does not contain it");
                    }
                }
                for (StoredTensor t : f.tensors()) {
                    StoredTensor before = byName.putIfAbsent(t.name(), t);
                    if (before != null) {
                        throw new SafetensorsException(shardPath, t.name(), "this tensor is also in shard " + before.file().getFileName());
                    }
                }
            }
            return new SafetensorsCheckpoint(List.copyOf(opened), Collections.unmodifiableMap(byName));
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(index));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index, "the file does not exist");
        } catch (JacksonException e) {
            throw new SafetensorsException(index, null, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(index, null, "cannot read the file: " + e, e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(index, "missing the \"weight_map\" object (tensor name -> shard file)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode shard = e.getValue();
            if (!shard.isTextual() || !isPlainFileName(shard.textValue())) {
                throw new SafetensorsException(index, e.getKey(),
                        "weight_map must give a shard file name in the same directory, found " + shard);
            }
            out.put(e.getKey(), shard.textValue());
        }
        return out;
    }

    /** Shard names are bare file names: a path would let an index read files outside the model. */
    private static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    /** The files opened: one, or every shard in name order. */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /** "__metadata__" of the first file (every HF shard carries the same {"format": "pt"}). */
    public Map<String, String> metadata() {
        return files.isEmpty() ? Map.of() : files.getFirst().metadata();
    }

    /** All tensors, shard by shard, each shard in data order. */
    public List<StoredTensor> tensors() { return List.copyOf(tensors.values()); }

    public Set<String> names() { return tensors.keySet(); }

    /** The tensor called {@code name}, or null. */
    public StoredTensor find(String name) { return tensors.get(name); }

    /** The tensor called {@code name}; a {@link SafetensorsException} naming the files when absent. */
    public StoredTensor tensor(String name) {
        StoredTensor t = tensors.get(name);
        if (t == null) {
            Path where = files.size() == 1 ? files.getFirst().path() : files.isEmpty() ? null : files.getFirst().path().getParent();
            throw new SafetensorsException(where, name, "no such tensor in the checkpoint");
        }
        return t;
    }

    /** Unmaps every file. */
    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
