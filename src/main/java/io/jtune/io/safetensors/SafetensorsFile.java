package io.jtune.io.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One .safetensors file, memory-mapped read-only. Opening it reads and checks only the header;
 * tensor bytes are read by the OS on first touch, so opening a 10 GB file costs milliseconds and no
 * heap. The mapping lives until {@link #close()}; tensors must not be used after that.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena; // null when the bytes are not ours to release
    private final Map<String, String> metadata;
    private final Map<String, StoredTensor> tensors; // in data order

    private SafetensorsFile(Path path, Arena arena, Map<String, String> metadata, Map<String, StoredTensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Maps {@code path} and checks its header; any defect is a {@link SafetensorsException}. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment bytes;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                // A file too short for the length prefix gets the precise message from parse().
                bytes = size == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return parse(bytes.asReadOnly(), path, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(path, "the file does not exist");
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path, null, "cannot read the file: " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads a safetensors image already in memory. {@code file} names it in messages; {@code arena}
     * (may be null) is closed with the returned object.
     */
    static SafetensorsFile parse(MemorySegment bytes, Path file, Arena arena) {
        long size = bytes.byteSize();
        if (size < 8) {
            throw new SafetensorsException(file, "the file has " + size + " bytes, fewer than the 8-byte header length: it is truncated");
        }
        long headerLength = bytes.get(U64_LE, 0); // an unsigned u64: beyond 2^63 it reads negative
        if (headerLength < 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "the header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the " + SafetensorsHeader.MAX_HEADER_BYTES + "-byte limit: this is not a valid safetensors file");
        }
        if (headerLength > size - 8) {
            throw new SafetensorsException(file, "the header length " + headerLength + " reaches past the end of the "
                    + size + "-byte file: it is truncated or not a safetensors file");
        }
        byte[] headerBytes = bytes.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        long dataStart = 8 + headerLength;
        SafetensorsHeader header = SafetensorsHeader.parse(headerBytes, size - dataStart, file);
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries()) {
            MemorySegment slice = bytes.asSlice(dataStart + e.begin(), e.end() - e.begin());
            tensors.put(e.name(), new StoredTensor(file, e.name(), e.dtype(), e.shape(), slice));
        }
        return new SafetensorsFile(file, arena, header.metadata(), Collections.unmodifiableMap(tensors));
    }

    public Path path() { return path; }

    /** The header's "__metadata__" (HF writes {"format": "pt"}); empty when absent. */
    public Map<String, String> metadata() { return metadata; }

    /** All tensors, in the order of their bytes in the file. */
    public List<StoredTensor> tensors() { return List.copyOf(tensors.values()); }

    public Set<String> names() { return tensors.keySet(); }

    /** The tensor called {@code name}, or null. */
    public StoredTensor find(String name) { return tensors.get(name); }

    /** The tensor called {@code name}; a {@link SafetensorsException} when the file has none. */
    public StoredTensor tensor(String name) {
        StoredTensor t = tensors.get(name);
        if (t == null) throw new SafetensorsException(path, name, "no such tensor in this file");
        return t;
    }

    /** Unmaps the file; closing twice is harmless. */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }
}
