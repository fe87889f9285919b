package io.jtune.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds thousands of corrupted variants of valid files to the reader (fixed seed): whatever the
 * damage, the reader either reads a consistent file or throws a SafetensorsException, never an
 * index error, a null pointer, an FFM IllegalArgumentException or an OutOfMemoryError.
 */
class SafetensorsFuzzTest {
    @TempDir Path dir;

    private static final String[] HEADER_EDITS = {
        "-1", "0", "1", "7", "4294967296", "9223372036854775807", "18446744073709551616", "1e9", "2.5", "null",
        "\"\"", "[]", "{}", "[0,0]", "[8,4]", "\"F64\"", "\"XX\"", "\"__metadata__\"", ",", "]", "}", "{", "\"", "\\u0000", "\u00ff"
    };

    @Test
    void corruptedFilesOnlyEverThrowSafetensorsException() throws Exception {
        List<byte[]> seeds = seedImages();
        Random rnd = new Random(20261121L);
        int variants = 4000;
        int readCleanly = 0;
        for (int i = 0; i < variants; i++) {
            byte[] seed = seeds.get(rnd.nextInt(seeds.size()));
            byte[] mutated = mutate(seed, rnd);
            if (tryRead(mutated, i)) readCleanly++;
        }
        // Some mutations (a flipped data byte) leave a valid file; most must be rejected.
        assertTrue(readCleanly > 0 && readCleanly < variants, "read cleanly: " + readCleanly);
        // A few through the real file path, so the memory mapping is exercised too.
        for (int i = 0; i < 100; i++) {
            Path file = dir.resolve("f" + i + ".safetensors");
            Files.write(file, mutate(seeds.get(i % seeds.size()), rnd));
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                touchAll(f);
            } catch (SafetensorsException expected) {
                // the only allowed failure
            } catch (Throwable t) {
                fail("file variant " + i + " threw " + t, t);
            }
        }
    }

    /** True when the variant was read as a valid file. */
    private static boolean tryRead(byte[] bytes, int variant) {
        try (SafetensorsFile f = SafetensorsFile.parse(MemorySegment.ofArray(bytes), Path.of("fuzz-" + variant + ".safetensors"), null)) {
            touchAll(f);
            return true;
        } catch (SafetensorsException expected) {
            return false;
        } catch (Throwable t) {
            String head = new String(bytes, 8, Math.max(0, Math.min(200, bytes.length - 8)), StandardCharsets.ISO_8859_1);
            fail("variant " + variant + " threw " + t + " for header: " + head, t);
            return false;
        }
    }

    /** Reads the first and last byte of every tensor and views the float ones as matrices. */
    private static void touchAll(SafetensorsFile f) {
        for (StoredTensor t : f.tensors()) {
            if (t.byteSize() > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, 0);
                t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            }
            try {
                Matrix m = t.matrix();
                if (m.rows() > 0 && m.cols() > 0) m.get(m.rows() - 1, m.cols() - 1);
            } catch (SafetensorsException notAMatrix) {
                // a non-float dtype or a rank other than 1 or 2: reported, not crashed
            }
        }
    }

    private static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        int headerEnd = 8 + (int) ByteBuffer.wrap(seed).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        switch (rnd.nextInt(6)) {
            case 0 -> { // flip bits anywhere
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> { // flip bits inside the header, where they matter most
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) b[8 + rnd.nextInt(headerEnd - 8)] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncate
            case 3 -> { // a new header length
                long[] lengths = {0, 1, headerEnd - 9, headerEnd - 7, b.length, 99_999_999, 100_000_001, Long.MAX_VALUE, -8, rnd.nextLong()};
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[rnd.nextInt(lengths.length)]);
            }
            case 4 -> b = editHeader(seed, headerEnd, rnd); // replace a token of the JSON text
            default -> { // append or drop data bytes
                b = Arrays.copyOf(b, Math.max(headerEnd, b.length + rnd.nextInt(17) - 8));
            }
        }
        return b;
    }

    /** Replaces a number, a string or a punctuation mark of the header with something hostile, fixing up the length. */
    private static byte[] editHeader(byte[] seed, int headerEnd, Random rnd) {
        String header = new String(seed, 8, headerEnd - 8, StandardCharsets.UTF_8);
        int at = rnd.nextInt(header.length());
        int end = at + 1;
        if (Character.isDigit(header.charAt(at))) {
            while (at > 0 && Character.isDigit(header.charAt(at - 1))) at--;
            while (end < header.length() && Character.isDigit(header.charAt(end))) end++;
        }
        String edited = header.substring(0, at) + HEADER_EDITS[rnd.nextInt(HEADER_EDITS.length)] + header.substring(end);
        byte[] h = edited.getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(seed, headerEnd, seed.length);
        return RawSafetensors.concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array(), h, data);
    }

    /** A few valid files written by the writer: mixed dtypes, ranks, a zero-sized tensor, metadata or none. */
    private List<byte[]> seedImages() throws Exception {
        Random rnd = new Random(7);
        List<byte[]> seeds = new ArrayList<>();
        DType[] dtypes = DType.values();
        for (int s = 0; s < 6; s++) {
            List<TensorToWrite> ts = new ArrayList<>();
            for (int i = 0; i < 2 + s; i++) {
                DType d = dtypes[rnd.nextInt(dtypes.length)];
                long[] shape = switch (i % 4) {
                    case 0 -> new long[] {1 + rnd.nextInt(4), 1 + rnd.nextInt(4)};
                    case 1 -> new long[] {1 + rnd.nextInt(6)};
                    case 2 -> new long[] {2, 0};
                    default -> new long[] {2, 1, 2};
                };
                long n = d.byteSize();
                for (long x : shape) n *= x;
                byte[] data = new byte[(int) n];
                rnd.nextBytes(data);
                ts.add(TensorToWrite.ofBytes("model.layers." + i + ".w", d, shape, MemorySegment.ofArray(data)));
            }
            Path file = dir.resolve("seed" + s + ".safetensors");
            SafetensorsWriter.writeFile(file, ts, s % 2 == 0 ? SafetensorsWriter.PT_METADATA : java.util.Map.of());
            seeds.add(Files.readAllBytes(file));
        }
        return seeds;
    }
}
