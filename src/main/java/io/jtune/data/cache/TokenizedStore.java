package io.jtune.data.cache;

import io.jtune.JtuneException;
import io.jtune.data.TokenizedExample;
import io.jtune.util.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and loads a tokenized dataset (named splits of examples) in jtune's own binary file:
 * "JTDS", a version, the stage, then per split its name and examples, each a list of named int
 * arrays. Written atomically, so an interrupted save never leaves a half file behind.
 */
public final class TokenizedStore {
    public static final String FILE_NAME = "jtune-tokenized.bin";
    private static final int MAGIC = 0x4A544453; // "JTDS"
    private static final int VERSION = 1;

    private TokenizedStore() {}

    /** The stored splits of a tokenized dataset and the stage that produced them. */
    public record Stored(String stage, Map<String, List<TokenizedExample>> splits) {}

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE_NAME));
    }

    public static void save(Path dir, String stage, Map<String, List<TokenizedExample>> splits) {
        Path file = dir.resolve(FILE_NAME);
        try {
            AtomicFiles.write(file, raw -> {
                DataOutputStream out = new DataOutputStream(raw);
                out.writeInt(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(stage);
                out.writeInt(splits.size());
                for (Map.Entry<String, List<TokenizedExample>> split : splits.entrySet()) {
                    out.writeUTF(split.getKey());
                    out.writeInt(split.getValue().size());
                    for (TokenizedExample ex : split.getValue()) {
                        out.writeInt(ex.features().size());
                        for (Map.Entry<String, int[]> f : ex.features().entrySet()) {
                            out.writeUTF(f.getKey());
                            out.writeInt(f.getValue().length);
                            for (int v : f.getValue()) out.writeInt(v);
                        }
                    }
                }
                out.flush();
            });
        } catch (IOException e) {
            throw new JtuneException("Cannot write the tokenized dataset to " + file + ": " + io.jtune.util.IoErrors.reason(
                    e instanceof io.jtune.util.IoErrors.WriteFailed && e.getCause() instanceof IOException c ? c : e), e);
        }
    }

    /** Loads without checking token ids (a store written by this jtune for a known tokenizer). */
    public static Stored load(Path dir) {
        return load(dir, Integer.MAX_VALUE);
    }

    /**
     * Loads the store in {@code dir}, checking every stored length against what is left of the file
     * (a corrupt or foreign file is refused before anything is allocated for it) and every token id
     * ({@code *input_ids}) and label ({@code *labels}, or -100) against {@code vocabSize}.
     */
    public static Stored load(Path dir, int vocabSize) {
        Path file = dir.resolve(FILE_NAME);
        try (Reader in = new Reader(file)) {
            if (in.size < 12 || in.readInt() != MAGIC) throw new JtuneException(file + " is not a jtune tokenized dataset; delete it to tokenize again.");
            int version = in.readInt();
            if (version != VERSION) {
                throw new JtuneException(file + " has format version " + version + "; this jtune reads version "
                        + VERSION + ". Delete it to tokenize again.");
            }
            String stage = in.readUTF();
            int splitCount = in.count("split count", 2 + 4);
            Map<String, List<TokenizedExample>> splits = new LinkedHashMap<>();
            for (int s = 0; s < splitCount; s++) {
                String name = in.readUTF();
                int n = in.count("example count of split '" + name + "'", 4);
                List<TokenizedExample> examples = new ArrayList<>(n);
                for (int e = 0; e < n; e++) {
                    int fields = in.count("field count of example " + e + " of split '" + name + "'", 2 + 4);
                    Map<String, int[]> m = new LinkedHashMap<>();
                    for (int f = 0; f < fields; f++) {
                        String key = in.readUTF();
                        int[] values = new int[in.count("length of " + key + " in example " + e + " of split '" + name + "'", 4)];
                        for (int i = 0; i < values.length; i++) values[i] = in.readInt();
                        checkIds(file, name, e, key, values, vocabSize);
                        m.put(key, values);
                    }
                    examples.add(new TokenizedExample(m));
                }
                splits.put(name, examples);
            }
            if (in.position() != in.size) {
                throw new JtuneException(file + " is corrupt: " + (in.size - in.position()) + " byte(s) after the last split;"
                        + " delete it to tokenize again.");
            }
            return new Stored(stage, splits);
        } catch (EOFException e) {
            throw new JtuneException(file + " is truncated; delete it to tokenize again.", e);
        } catch (java.io.UTFDataFormatException e) {
            throw new JtuneException(file + " is corrupt (a name is not valid text); delete it to tokenize again.", e);
        } catch (IOException e) {
            throw new JtuneException("Cannot read the tokenized dataset " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkIds(Path file, String split, int example, String key, int[] values, int vocabSize) {
        boolean ids = key.endsWith("input_ids");
        boolean labels = key.endsWith("labels");
        if (!ids && !labels) return;
        for (int v : values) {
            if ((v < 0 || v >= vocabSize) && !(labels && v == TokenizedExample.IGNORE_INDEX)) {
                throw new JtuneException(file + ": " + key + " of example " + example + " of split '" + split + "' holds token id "
                        + v + ", outside the tokenizer's vocabulary [0, " + vocabSize + "); the file was made with another"
                        + " tokenizer or is corrupt: delete it to tokenize again.");
            }
        }
    }

    /** A data stream that knows how many bytes it has read and how many the file has. */
    private static final class Reader extends DataInputStream {
        final long size;
        private final Path file;

        Reader(Path file) throws IOException {
            this(file, new Counting(new BufferedInputStream(Files.newInputStream(file), 1 << 20)));
        }

        private Reader(Path file, Counting in) throws IOException {
            super(in);
            this.file = file;
            this.size = Files.size(file);
        }

        long position() {
            return ((Counting) in).count;
        }

        /** A stored count of items of at least {@code minBytes} each: refused when the rest of the file cannot hold them. */
        int count(String what, int minBytes) throws IOException {
            int n = readInt();
            long left = size - position();
            if (n < 0 || (long) n * minBytes > left) {
                throw new JtuneException(file + " is corrupt: its " + what + " is " + n + ", but only " + left
                        + " byte(s) follow; delete it to tokenize again.");
            }
            return n;
        }
    }

    private static final class Counting extends java.io.FilterInputStream {
        long count;

        Counting(java.io.InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            count += k;
            return k;
        }
    }
}
