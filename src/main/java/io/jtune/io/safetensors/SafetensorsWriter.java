package io.jtune.io.safetensors;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.tensor.DType;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes safetensors files byte-for-byte as Hugging Face's safetensors library does, and whole
 * checkpoints sharded as transformers' save_pretrained does. Every file goes through
 * {@link AtomicFiles}; the index is written last, so a reader never sees an index pointing at a
 * shard that is not there yet.
 */
public final class SafetensorsWriter {
    /** transformers' default max_shard_size, "5GB" (decimal gigabytes). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    /** The "__metadata__" transformers puts in every file it saves. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    private SafetensorsWriter() {}

    /**
     * Writes one file: the 8-byte little-endian header length, the compact JSON header padded with
     * spaces to a multiple of 8 (so every tensor's data starts 8-aligned), then the data.
     */
    public static void writeFile(Path file, List<TensorToWrite> tensors, Map<String, String> metadata) throws IOException {
        List<TensorToWrite> ordered = inFileOrder(tensors);
        byte[] header = header(ordered, metadata);
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            byte[] buffer = new byte[1 << 16];
            for (TensorToWrite t : ordered) t.writeTo(out, buffer);
        });
    }

    /**
     * Writes {@code tensors} (in state-dict order) into {@code dir} as model.safetensors, or as
     * model-0000i-of-0000n.safetensors shards of at most {@code maxShardBytes} each (a larger tensor
     * gets a shard of its own) plus model.safetensors.index.json. Checkpoint files of an earlier
     * save that the new one does not use are deleted afterwards, because transformers would prefer a
     * stale model.safetensors over a new index. Returns the files written, index last.
     */
    public static List<Path> writeCheckpoint(Path dir, List<TensorToWrite> tensors, long maxShardBytes) throws IOException {
        checkUniqueNames(tensors);
        List<List<TensorToWrite>> shards = split(tensors, maxShardBytes);
        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long totalSize = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = shards.size() == 1 ? SafetensorsCheckpoint.SINGLE_FILE
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path file = dir.resolve(name);
            writeFile(file, shards.get(i), PT_METADATA);
            written.add(file);
            for (TensorToWrite t : shards.get(i)) {
                weightMap.put(t.name(), name);
                totalSize += t.byteSize();
            }
        }
        if (shards.size() > 1) {
            Path index = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
            AtomicFiles.writeString(index, indexJson(totalSize, weightMap));
            written.add(index);
        }
        deleteStaleCheckpointFiles(dir, written);
        return written;
    }

    /**
     * huggingface_hub's split: walk the tensors in order, start a new shard when the next tensor
     * would push the current one past the limit; a tensor larger than the limit alone gets a shard
     * of its own, placed when it is met (before the shard still being filled).
     */
    static List<List<TensorToWrite>> split(List<TensorToWrite> tensors, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new SafetensorsException(null, "max shard size must be positive, got " + maxShardBytes);
        List<List<TensorToWrite>> shards = new ArrayList<>();
        List<TensorToWrite> current = new ArrayList<>();
        long currentBytes = 0;
        for (TensorToWrite t : tensors) {
            long size = t.byteSize();
            if (size > maxShardBytes) {
                shards.add(List.of(t));
                continue;
            }
            if (currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += size;
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current); // no tensors: one empty file
        return shards;
    }

    /** The safetensors library's order: larger dtype alignment first, then by name (UTF-8 bytes). */
    static List<TensorToWrite> inFileOrder(List<TensorToWrite> tensors) {
        checkUniqueNames(tensors);
        List<TensorToWrite> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingInt((TensorToWrite t) -> -alignmentRank(t.dtype()))
                .thenComparing((a, b) -> Arrays.compareUnsigned(utf8(a.name()), utf8(b.name()))));
        return sorted;
    }

    /** Position in the safetensors library's Dtype enum, which is declared in increasing alignment. */
    private static int alignmentRank(DType d) {
        return switch (d) {
            case BOOL -> 0;
            case U8 -> 1;
            case I8 -> 2;
            case F8_E5M2 -> 3;
            case F8_E4M3 -> 4;
            case I16 -> 5;
            case F16 -> 6;
            case BF16 -> 7;
            case I32 -> 8;
            case F32 -> 9;
            case F64 -> 10;
            case I64 -> 11;
        };
    }

    /** The header bytes (padded) for tensors already in file order. */
    static byte[] header(List<TensorToWrite> ordered, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(metadata).entrySet()) {
                if (!first) json.append(',');
                PythonJson.appendString(json, e.getKey(), false); // serde_json escapes as Python does with ensure_ascii off
                json.append(':');
                PythonJson.appendString(json, e.getValue(), false);
                first = false;
            }
            json.append('}');
        }
        long offset = 0;
        for (TensorToWrite t : ordered) {
            if (json.length() > 1) json.append(',');
            PythonJson.appendString(json, t.name(), false);
            json.append(":{\"dtype\":\"").append(t.dtype().name()).append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) json.append(i == 0 ? "" : ",").append(shape[i]);
            long end = offset + t.byteSize();
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] text = utf8(json.toString());
        int padded = (text.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(text, padded);
        Arrays.fill(out, text.length, padded, (byte) ' ');
        return out;
    }

    /** The index as transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n". */
    static String indexJson(long totalSize, Map<String, String> weightMap) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        return PythonJson.dumps(root, PythonJson.Options.DEFAULT.withIndent(2).withSortedKeys()) + "\n";
    }

    private static void deleteStaleCheckpointFiles(Path dir, List<Path> keep) throws IOException {
        Set<Path> kept = new HashSet<>();
        for (Path p : keep) kept.add(p.getFileName());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean checkpointFile = name.equals(SafetensorsCheckpoint.SINGLE_FILE)
                        || name.equals(SafetensorsCheckpoint.INDEX_FILE) || SHARD_NAME.matcher(name).matches();
                if (checkpointFile && !kept.contains(f.getFileName())) Files.delete(f);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void checkUniqueNames(List<TensorToWrite> tensors) {
        Set<String> seen = new HashSet<>();
        for (TensorToWrite t : tensors) {
            if (!seen.add(t.name())) throw new SafetensorsException(null, t.name(), "given twice to the writer");
            if (t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new SafetensorsException(null, t.name(), "this name is reserved for the header's metadata");
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
