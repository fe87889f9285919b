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
            throw new JtuneException("Cannot write the tokenized dataset to " + file + ": " + e.getMessage(), e);
        }
    }

    public static Stored load(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (in.readInt() != MAGIC) throw new JtuneException(file + " is not a jtune tokenized dataset.");
            int version = in.readInt();
            if (version != VERSION) {
                throw new JtuneException(file + " has format version " + version + "; this jtune reads version "
                        + VERSION + ". Delete it to tokenize again.");
            }
            String stage = in.readUTF();
            int splitCount = in.readInt();
            Map<String, List<TokenizedExample>> splits = new LinkedHashMap<>();
            for (int s = 0; s < splitCount; s++) {
                String name = in.readUTF();
                int n = in.readInt();
                List<TokenizedExample> examples = new ArrayList<>(n);
                for (int e = 0; e < n; e++) {
                    int fields = in.readInt();
                    Map<String, int[]> m = new LinkedHashMap<>();
                    for (int f = 0; f < fields; f++) {
                        String key = in.readUTF();
                        int[] values = new int[in.readInt()];
                        for (int i = 0; i < values.length; i++) values[i] = in.readInt();
                        m.put(key, values);
                    }
                    examples.add(new TokenizedExample(m));
                }
                splits.put(name, examples);
            }
            return new Stored(stage, splits);
        } catch (EOFException e) {
            throw new JtuneException(file + " is truncated; delete it to tokenize again.", e);
        } catch (IOException e) {
            throw new JtuneException("Cannot read the tokenized dataset " + file + ": " + e.getMessage(), e);
        }
    }
}
